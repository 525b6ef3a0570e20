import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// The Playground: Prompt mode (the model continues the text) or Chat mode (a
// conversation through the model's chat template, reasoning in its own block), live
// TTFT and tokens per second, and the sampler settings. In prompt mode the same
// prompt can run side by side on the loaded model and on the Compress page's result.
Item {
    id: root
    required property Workbench workbench
    readonly property Generator generator: workbench.generator
    readonly property Generator compressed: workbench.compressedGenerator
    readonly property SideBySide sideBySide: workbench.sideBySide
    readonly property bool chat: generator.chatMode
    readonly property bool comparing: sideBySide.enabled && !chat
    readonly property bool running: generator.running || sideBySide.running
    objectName: "playgroundPage"

    function go() {
        if (root.chat) {
            if (root.generator.start(promptArea.text)) root.generator.draft = ""
        } else if (root.comparing) {
            root.sideBySide.start(promptArea.text)
        } else {
            root.generator.start(promptArea.text)
        }
    }
    function stop() {
        root.sideBySide.cancel()
        root.generator.cancel()
    }

    Shortcut {
        sequence: "Escape"
        enabled: root.visible && root.running
        onActivated: root.stop()
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
                // Prompt / Chat
                Row {
                    objectName: "modeSwitch"
                    spacing: 0
                    Repeater {
                        model: [qsTr("Prompt"), qsTr("Chat")]
                        Button {
                            required property int index
                            required property string modelData
                            objectName: index === 0 ? "promptModeButton" : "chatModeButton"
                            width: 84
                            text: modelData
                            highlighted: (index === 1) === root.chat
                            enabled: !root.running
                            onClicked: {
                                root.generator.chatMode = index === 1
                                if (index === 1 && !root.generator.chatAvailable)
                                    modeNotice.text = root.generator.chatInfo
                                else
                                    modeNotice.text = ""
                            }
                        }
                    }
                }
                ComboBox {
                    objectName: "chatTemplate"
                    visible: root.chat || modeNotice.text !== ""
                    Layout.preferredWidth: 240
                    model: root.generator.chatTemplates
                    currentIndex: root.generator.chatTemplate
                    enabled: !root.running
                    onActivated: (i) => {
                        root.generator.chatTemplate = i
                        if (root.generator.chatAvailable) modeNotice.text = ""
                    }
                    ToolTip.visible: hovered
                    ToolTip.text: qsTr("Chat template: %1").arg(root.generator.chatInfo)
                    ToolTip.delay: 400
                }
                CheckBox {
                    objectName: "sequentialCheck"
                    visible: root.comparing
                    text: qsTr("One after the other")
                    checked: root.sideBySide.sequential
                    enabled: !root.running
                    onToggled: root.sideBySide.sequential = checked
                    ToolTip.visible: hovered
                    ToolTip.delay: 400
                    ToolTip.text: qsTr("Run the compressed model when the baseline is done, so that neither's speed is measured while the other takes the cores")
                }
                Switch {
                    objectName: "compareSwitch"
                    text: qsTr("Side by side")
                    visible: !root.chat
                    enabled: !root.running
                    checked: root.sideBySide.enabled
                    onToggled: root.sideBySide.enabled = checked
                    ToolTip.visible: hovered
                    ToolTip.delay: 400
                    ToolTip.text: root.chat ? qsTr("Side by side runs in prompt mode")
                                            : qsTr("The same prompt on the loaded model and on the Compress page's result")
                }
            }

            Banner {
                id: modeNotice
                objectName: "chatNotice"
                Layout.fillWidth: true
                error: false
                text: ""
                visible: text !== ""
            }

            RowLayout {  // prompt mode: one pane, or two side by side
                visible: !root.chat
                Layout.fillWidth: true
                Layout.fillHeight: true
                spacing: Theme.gap
                GenerationPane {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 1  // equal halves side by side
                    Layout.fillHeight: true
                    generator: root.generator
                    title: root.comparing ? qsTr("Baseline") : ""
                    compact: root.comparing
                }

                // Side by side: the compressed model, or how to make one.
                Item {
                    id: comparePane
                    visible: root.comparing
                    Layout.fillWidth: true
                    Layout.preferredWidth: 1
                    Layout.fillHeight: true
                    GenerationPane {
                        objectName: "compressedPane"
                        anchors.fill: parent
                        visible: root.compressed.hasModel
                        generator: root.compressed
                        title: qsTr("Compressed")
                        tint: Theme.teal
                        compact: true
                    }
                    Rectangle {
                        anchors.fill: parent
                        visible: !root.compressed.hasModel
                        radius: Theme.radius
                        color: Theme.surface
                        border.color: Theme.border
                        EmptyState {
                            objectName: "noCompressedModel"
                            anchors.fill: parent
                            icon: "compress"
                            title: qsTr("No compressed model yet")
                            text: qsTr("Choose a preset on the Compress page and press Apply; the result runs here next to the loaded model, with the same prompt and seed.")
                            actionText: qsTr("Go to the Compress page")
                            onAction: root.workbench.page = "compress"
                        }
                    }
                }
            }

            ChatPane {
                visible: root.chat
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
                            placeholderText: root.chat ? qsTr("Message the model.  Ctrl+Enter sends, Escape stops.")
                                                       : qsTr("Type a prompt — the model continues it.  Ctrl+Enter generates, Escape stops.")
                            text: root.generator.draft
                            onTextChanged: root.generator.draft = text
                            wrapMode: TextEdit.Wrap
                            font.pixelSize: Theme.fontLg
                            color: Theme.text
                            background: null
                            enabled: !root.running
                            Keys.onPressed: (event) => {
                                if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter)
                                        && (event.modifiers & Qt.ControlModifier)) {
                                    root.go()
                                    event.accepted = true
                                }
                            }
                        }
                    }
                    ColumnLayout {
                        Layout.alignment: Qt.AlignBottom
                        spacing: 4
                        Button {
                            objectName: root.running ? "stopButton" : "generateButton"
                            Layout.preferredWidth: 140
                            highlighted: !root.running
                            text: root.running ? qsTr("Stop") : root.chat ? qsTr("Send") : qsTr("Generate")
                            icon.source: ""
                            onClicked: root.running ? root.stop() : root.go()
                        }
                        Button {
                            objectName: "clearButton"
                            Layout.preferredWidth: 140
                            flat: true
                            text: root.chat ? qsTr("New chat") : qsTr("Clear output")
                            enabled: !root.running && (root.chat ? root.generator.conversation.count > 0
                                                                 : (root.generator.text !== "" || root.generator.promptText !== ""))
                            onClicked: {
                                if (root.chat) root.generator.newChat()
                                else { root.generator.clear(); root.compressed.clear() }
                            }
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
