import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// The Playground: a prompt, the model's continuation streaming in, live TTFT and
// tokens per second, and the sampler settings.
//
// The output is a GenerationPane per Generator. Today there is one, the loaded
// model; the side-by-side comparison with a compressed model (issue 6) adds a second
// pane over a second Generator, both started with the same prompt.
Item {
    id: root
    required property Workbench workbench
    readonly property Generator generator: workbench.generator
    objectName: "playgroundPage"

    Shortcut {
        sequence: "Escape"
        enabled: root.visible && root.generator.running
        onActivated: root.generator.cancel()
    }

    EmptyState {
        anchors.fill: parent
        visible: !root.generator.hasModel
        icon: "playground"
        title: qsTr("No model loaded")
        text: root.workbench.model.hasInfo
              ? qsTr("%1 is open but not loaded. Load it on the Model page to generate text.").arg(root.workbench.model.displayName)
              : qsTr("Open a model or create a demo model first; then type a prompt here and watch the tokens stream in.")
        actionText: qsTr("Go to the Model page")
        onAction: root.workbench.page = "model"
    }

    RowLayout {
        anchors { fill: parent; margins: 24; topMargin: 20 }
        visible: root.generator.hasModel
        spacing: Theme.gap + 8

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: Theme.gap + 2

            RowLayout {  // title, model, prompt format, comparison
                Layout.fillWidth: true
                spacing: 12
                Text { text: qsTr("Playground"); color: Theme.text; font.pixelSize: 22; font.weight: Font.DemiBold }
                Chip {
                    objectName: "playgroundModel"
                    text: root.generator.modelName + " · ctx " + root.generator.contextLength
                    icon: "model"
                    tint: Theme.accent
                }
                Item { Layout.fillWidth: true }
                Text { text: qsTr("Prompt format"); color: Theme.textDim; font.pixelSize: Theme.fontSm }
                ComboBox {
                    objectName: "promptFormat"
                    Layout.preferredWidth: 170
                    model: root.generator.promptFormats
                    currentIndex: root.generator.promptFormat
                    enabled: root.generator.promptFormats.length > 1 && !root.generator.running
                    onActivated: (i) => root.generator.promptFormat = i
                    ToolTip.visible: hovered
                    ToolTip.text: root.generator.promptFormatHints[root.generator.promptFormat] || ""
                    ToolTip.delay: 400
                }
                Switch {
                    objectName: "compareSwitch"
                    text: qsTr("Compare with compressed")
                    enabled: false  // needs a compressed model: the Compress page (issue 6)
                    ToolTip.visible: hovered
                    ToolTip.text: qsTr("Side by side with a compressed model, once the Compress page can make one")
                }
            }

            GenerationPane {
                Layout.fillWidth: true
                Layout.fillHeight: true
                generator: root.generator
            }

            // The prompt.
            Rectangle {
                Layout.fillWidth: true
                implicitHeight: 132
                radius: Theme.radius
                color: Theme.surface
                border.color: promptArea.activeFocus ? Theme.accent : Theme.border
                RowLayout {
                    anchors { fill: parent; margins: 12 }
                    spacing: 12
                    ScrollView {
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        TextArea {
                            id: promptArea
                            objectName: "promptInput"
                            placeholderText: qsTr("Type a prompt — the model continues it.  Ctrl+Enter generates, Escape stops.")
                            text: root.generator.draft
                            onTextChanged: root.generator.draft = text
                            wrapMode: TextEdit.Wrap
                            font.pixelSize: Theme.fontLg
                            color: Theme.text
                            background: null
                            enabled: !root.generator.running
                            Keys.onPressed: (event) => {
                                if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter)
                                        && (event.modifiers & Qt.ControlModifier)) {
                                    root.generator.start(promptArea.text)
                                    event.accepted = true
                                }
                            }
                        }
                    }
                    ColumnLayout {
                        Layout.alignment: Qt.AlignBottom
                        spacing: 4
                        Button {
                            objectName: root.generator.running ? "stopButton" : "generateButton"
                            Layout.preferredWidth: 140
                            highlighted: !root.generator.running
                            text: root.generator.running ? qsTr("Stop") : qsTr("Generate")
                            icon.source: ""
                            onClicked: root.generator.running ? root.generator.cancel() : root.generator.start(promptArea.text)
                        }
                        Button {
                            Layout.preferredWidth: 140
                            flat: true
                            text: qsTr("Clear output")
                            enabled: !root.generator.running && (root.generator.text !== "" || root.generator.promptText !== "")
                            onClicked: root.generator.clear()
                        }
                    }
                }
            }
        }

        SamplerPanel {
            Layout.preferredWidth: 300
            Layout.fillHeight: true
            generator: root.generator
        }
    }
}
