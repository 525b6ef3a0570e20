import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// The first-run screen, shown while no model is open: open a model (dialog, drop,
// recent list) or create a demo model of a real architecture.
Flickable {
    id: root
    required property Workbench workbench
    readonly property ModelController mc: workbench.model
    objectName: "firstRun"

    contentWidth: width
    contentHeight: Math.max(height, column.implicitHeight + 96)
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollBar.vertical: ScrollBar {}

    ColumnLayout {
        id: column
        width: Math.min(root.width - 64, 1040)
        x: (root.width - width) / 2
        y: Math.max(48, (root.contentHeight - implicitHeight) / 2 - 20)
        spacing: 24

        ColumnLayout {
            Layout.fillWidth: true
            spacing: 8
            Text {
                objectName: "welcomeTitle"
                text: qsTr("Welcome to Pareto")
                color: Theme.text
                font.pixelSize: 30
                font.weight: Font.Bold
            }
            Text {
                Layout.fillWidth: true
                text: qsTr("Load a small language model, run it with Pareto's own engine, and see what each choice costs and buys: speed, memory and accuracy, on the machine it runs on.")
                color: Theme.textDim
                font.pixelSize: Theme.fontLg
                wrapMode: Text.Wrap
                lineHeight: 1.2
            }
        }

        Banner {
            Layout.fillWidth: true
            text: root.mc.state === ModelController.Failed ? root.mc.error : ""
            onClosed: root.mc.clearError()
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: 20
            OpenModelCard {
                workbench: root.workbench
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                Layout.fillHeight: true
            }
            DemoModelCard {
                workbench: root.workbench
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                Layout.fillHeight: true
            }
        }

        RecentModelsCard {
            workbench: root.workbench
            Layout.fillWidth: true
        }
    }

    // Reading a file: a quiet overlay until its details replace this screen.
    Rectangle {
        anchors.fill: parent
        visible: root.mc.state === ModelController.Inspecting
        color: Qt.rgba(0.055, 0.063, 0.082, 0.75)
        Column {
            anchors.centerIn: parent
            spacing: 14
            BusyIndicator { anchors.horizontalCenter: parent.horizontalCenter; running: parent.parent.visible }
            Text {
                anchors.horizontalCenter: parent.horizontalCenter
                text: root.mc.stage
                color: Theme.text
                font.pixelSize: Theme.fontLg
            }
            Button { anchors.horizontalCenter: parent.horizontalCenter; text: qsTr("Cancel"); flat: true; onClicked: root.mc.cancel() }
        }
    }
}
