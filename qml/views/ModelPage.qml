import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import QtQuick.Dialogs
import Pareto.Bridge
import Pareto.Theme

// The Model page: with no model open, the first-run screen; otherwise what the file
// holds (architecture, memory at a chosen context, weights by type, tensors by
// layer) and loading it.
Item {
    id: root
    required property Workbench workbench
    readonly property ModelController mc: workbench.model
    objectName: "modelPage"

    FirstRunView {
        anchors.fill: parent
        visible: !root.mc.hasInfo
        workbench: root.workbench
    }

    FileDialog {
        id: fileDialog
        title: qsTr("Open a GGUF model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: root.workbench.openModel(selectedFile.toString(), false)
    }

    Flickable {
        id: details
        objectName: "modelDetails"
        visible: root.mc.hasInfo
        anchors.fill: parent
        contentWidth: width
        contentHeight: Math.max(height, column.implicitHeight + 2 * Theme.pad + 8)
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}

        ColumnLayout {
            id: column
            x: 24
            y: 20
            width: details.width - 48
            height: details.contentHeight - 40
            spacing: Theme.gap + 4

            // ---- header: what this is, and loading it ----
            RowLayout {
                Layout.fillWidth: true
                spacing: 14
                Rectangle {
                    width: 46; height: 46; radius: 10
                    color: Theme.accentSoft
                    Icon { anchors.centerIn: parent; name: "model"; size: 24; color: Theme.accent }
                }
                ColumnLayout {
                    spacing: 4
                    Layout.fillWidth: true
                    RowLayout {
                        spacing: 10
                        Text {
                            objectName: "modelName"
                            text: root.mc.displayName
                            color: Theme.text
                            font.pixelSize: 22
                            font.weight: Font.DemiBold
                            elide: Text.ElideRight
                            Layout.maximumWidth: column.width * 0.45
                        }
                        Chip { text: root.mc.architecture.arch || ""; tint: Theme.accent; strong: true }
                        Chip { text: Fmt.count(root.mc.paramCount) + " params" }
                        Chip { text: Fmt.bytes(root.mc.fileBytes) }
                        Chip { text: "GGUF v" + (root.mc.architecture.ggufVersion || "") }
                    }
                    Text {
                        text: root.mc.path
                        color: Theme.textFaint
                        font.pixelSize: Theme.fontSm
                        font.family: Theme.mono
                        elide: Text.ElideMiddle
                        Layout.fillWidth: true
                    }
                }

                // Load state and actions.
                RowLayout {
                    spacing: 10
                    ColumnLayout {
                        visible: root.mc.state === ModelController.Loading || root.mc.state === ModelController.Inspecting
                        spacing: 4
                        ProgressBar {
                            objectName: "loadProgress"
                            Layout.preferredWidth: 220
                            indeterminate: root.mc.progress < 0
                            value: Math.max(0, root.mc.progress)
                        }
                        Text {
                            text: root.mc.stage
                            color: Theme.textDim
                            font.pixelSize: Theme.fontXs
                            Layout.preferredWidth: 220
                            elide: Text.ElideRight
                        }
                    }
                    Button {
                        objectName: "cancelLoadButton"
                        visible: root.mc.busy
                        text: qsTr("Cancel")
                        flat: true
                        onClicked: root.mc.cancel()
                    }
                    Button {
                        objectName: "loadButton"
                        visible: root.mc.state === ModelController.Ready
                        text: qsTr("Load model")
                        highlighted: true
                        onClicked: root.mc.load()
                    }
                    Chip {
                        objectName: "loadedChip"
                        visible: root.mc.loaded
                        text: qsTr("Loaded")
                        icon: "check"
                        tint: Theme.success
                        strong: true
                    }
                    Button {
                        visible: root.mc.loaded
                        text: qsTr("Playground")
                        highlighted: true
                        onClicked: root.workbench.page = "playground"
                    }
                    Button {
                        visible: root.mc.loaded
                        text: qsTr("Unload")
                        flat: true
                        onClicked: root.mc.unload()
                    }
                    Button {
                        objectName: "openButton"
                        text: qsTr("Open…")
                        flat: true
                        enabled: !root.mc.busy
                        onClicked: fileDialog.open()
                    }
                }
            }

            Banner {
                Layout.fillWidth: true
                text: root.mc.error
                onClosed: root.mc.clearError()
            }
            Banner {
                Layout.fillWidth: true
                error: false
                text: root.mc.notice
                closable: false
            }

            // ---- the model at a glance ----
            RowLayout {
                Layout.fillWidth: true
                spacing: Theme.gap + 4
                ArchitectureCard {
                    mc: root.mc
                    Layout.preferredWidth: 380
                    Layout.fillHeight: true
                }
                MemoryCard {
                    mc: root.mc
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                }
                WeightTypesCard {
                    mc: root.mc
                    Layout.preferredWidth: 330
                    Layout.fillHeight: true
                }
            }

            TensorsCard {
                mc: root.mc
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.minimumHeight: 280
            }
        }
    }
}
