import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import QtQuick.Dialogs
import Pareto.Bridge
import Pareto.Theme

// First run: open a GGUF file from a dialog, or drop one anywhere.
Card {
    id: root
    required property Workbench workbench
    objectName: "openModelCard"
    padding: 22

    FileDialog {
        id: dialog
        title: qsTr("Open a GGUF model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: root.workbench.openModel(selectedFile.toString(), false)
    }

    implicitHeight: layout.implicitHeight + 2 * padding

    ColumnLayout {
        id: layout
        anchors.fill: parent
        spacing: 14
        Rectangle {
            width: 44; height: 44; radius: 10
            color: Theme.accentSoft
            Icon { anchors.centerIn: parent; name: "folder"; size: 22; color: Theme.accent }
        }
        Text { text: qsTr("Open a model"); color: Theme.text; font.pixelSize: Theme.fontXl; font.weight: Font.DemiBold }
        Text {
            Layout.fillWidth: true
            text: qsTr("A GGUF file of the Llama or Qwen2 family: F32, F16, BF16, Q8_0 down to Q2_K. You see its architecture, tensors and memory needs before loading it.")
            color: Theme.textDim
            font.pixelSize: Theme.fontMd
            wrapMode: Text.Wrap
            lineHeight: 1.2
        }
        Item { Layout.fillHeight: true }
        Rectangle {  // the drop target, drawn; the whole window accepts the drop
            Layout.fillWidth: true
            implicitHeight: 84
            radius: Theme.radius
            color: "transparent"
            border.color: Theme.borderStrong
            border.width: 1
            Column {
                anchors.centerIn: parent
                spacing: 6
                Icon { anchors.horizontalCenter: parent.horizontalCenter; name: "upload"; size: 20; color: Theme.textFaint }
                Text { text: qsTr("Drop a .gguf file anywhere in the window"); color: Theme.textFaint; font.pixelSize: Theme.fontSm }
            }
        }
        Button {
            objectName: "openFileButton"
            text: qsTr("Open GGUF file…")
            highlighted: true
            Layout.fillWidth: true
            onClicked: dialog.open()
        }
    }
}
