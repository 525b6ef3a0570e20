import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// What to profile: the prompt, how many tokens, where to store the run; Profile and
// Cancel with the worker's progress.
Card {
    id: root
    required property ProfileController pc
    required property Workbench workbench
    signal chooseTrace()
    implicitHeight: row.implicitHeight + 2 * padding

    RowLayout {
        id: row
        anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter }
        spacing: 12
        TextField {
            objectName: "profilePrompt"
            Layout.fillWidth: true
            placeholderText: qsTr("Prompt to profile")
            text: root.pc.prompt
            enabled: !root.pc.busy
            onTextEdited: root.pc.prompt = text
            onAccepted: root.pc.profile()
        }
        Text { text: qsTr("Tokens"); color: Theme.textDim; font.pixelSize: Theme.fontSm }
        SpinBox {
            objectName: "profileTokens"
            from: 1; to: 4096
            value: root.pc.nTokens
            editable: true
            enabled: !root.pc.busy
            onValueModified: root.pc.nTokens = value
        }
        Text {
            text: qsTr("Threads: %1").arg(root.workbench.effectiveThreads)
            color: Theme.textDim
            font.pixelSize: Theme.fontSm
        }
        CheckBox {
            objectName: "appendToTrace"
            text: qsTr("Store in")
            checked: root.pc.appendToTrace
            enabled: !root.pc.busy
            onToggled: root.pc.appendToTrace = checked
        }
        Text {
            text: root.pc.tracePath
            color: root.pc.appendToTrace ? Theme.text : Theme.textFaint
            font.pixelSize: Theme.fontSm
            font.family: Theme.mono
            elide: Text.ElideLeft
            Layout.maximumWidth: 260
            MouseArea { anchors.fill: parent; cursorShape: Qt.PointingHandCursor; onClicked: root.chooseTrace() }
        }
        ColumnLayout {
            visible: root.pc.busy
            spacing: 2
            ProgressBar {
                objectName: "profileProgress"
                Layout.preferredWidth: 160
                indeterminate: root.pc.progress < 0
                value: Math.max(0, root.pc.progress)
            }
            Text { text: root.pc.stage; color: Theme.textDim; font.pixelSize: Theme.fontXs }
        }
        Button {
            objectName: "profileButton"
            text: root.pc.busy ? qsTr("Cancel") : qsTr("Profile")
            highlighted: !root.pc.busy
            enabled: root.pc.busy || root.pc.hasModel
            onClicked: root.pc.busy ? root.pc.cancel() : root.pc.profile()
        }
    }
}
