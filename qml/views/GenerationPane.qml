import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// One Generator's output: the prompt as the model saw it, the continuation as it
// streams, and the live numbers (time to first token, decode and prompt speed).
Rectangle {
    id: root
    required property Generator generator
    property string title: ""
    objectName: "generationPane"

    radius: Theme.radius
    color: Theme.surface
    border.color: Theme.border

    function html(s) {
        return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    }

    ColumnLayout {
        anchors { fill: parent; margins: Theme.pad }
        spacing: Theme.gap

        RowLayout {  // live numbers
            Layout.fillWidth: true
            Layout.fillHeight: false
            spacing: 10
            StatTile {
                objectName: "ttftTile"
                Layout.fillWidth: true
                label: qsTr("Time to first token")
                value: root.generator.ttftMs > 0 ? Fmt.ms(root.generator.ttftMs).split(" ")[0] : "–"
                unit: root.generator.ttftMs > 0 ? Fmt.ms(root.generator.ttftMs).split(" ")[1] : ""
                hint: root.generator.promptTokens > 0 ? qsTr("%1 prompt tokens").arg(root.generator.promptTokens) : ""
            }
            StatTile {
                objectName: "tpsTile"
                Layout.fillWidth: true
                label: qsTr("Decode speed")
                value: Fmt.rate(root.generator.tokensPerSecond)
                unit: qsTr("tok/s")
                tint: root.generator.running ? Theme.accent : Theme.text
                hint: root.generator.generatedTokens > 0 ? qsTr("%1 tokens generated").arg(root.generator.generatedTokens) : ""
            }
            StatTile {
                objectName: "promptSpeedTile"
                Layout.fillWidth: true
                label: qsTr("Prompt speed")
                value: Fmt.rate(root.generator.promptTokensPerSecond)
                unit: qsTr("tok/s")
                hint: root.generator.stopReason !== "" ? qsTr("stopped: %1").arg(root.generator.stopReason) : ""
            }
            Rectangle {
                Layout.fillWidth: true
                Layout.preferredWidth: 150
                Layout.fillHeight: true
                radius: Theme.radius
                color: Theme.surfaceRaised
                border.color: Theme.border
                ColumnLayout {
                    anchors { fill: parent; margins: 12 }
                    spacing: 2
                    SectionLabel { text: qsTr("tokens/s over the run") }
                    Sparkline {
                        objectName: "rateSparkline"
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        values: root.generator.rateHistory
                    }
                }
            }
        }

        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }

        ScrollView {
            id: scroll
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            TextArea {
                id: output
                objectName: "generatedText"
                readOnly: true
                selectByMouse: true
                wrapMode: TextEdit.Wrap
                textFormat: TextEdit.RichText
                background: null
                font.pixelSize: Theme.fontLg
                color: Theme.text
                leftPadding: 4
                rightPadding: 4
                text: "<div style='white-space: pre-wrap; line-height: 140%'>"
                      + "<span style='color:" + Theme.textFaint + "'>" + root.html(root.generator.promptText) + "</span>"
                      + root.html(root.generator.text)
                      + (root.generator.running ? "<span style='color:" + Theme.accent + "'>▍</span>" : "")
                      + "</div>"
                // Follow the stream to its end.
                onContentHeightChanged: if (root.generator.running) scroll.ScrollBar.vertical.position = 1 - scroll.ScrollBar.vertical.size
            }
        }
        Text {
            visible: root.generator.promptText === "" && root.generator.text === "" && !root.generator.running
            Layout.alignment: Qt.AlignHCenter
            text: qsTr("The model's continuation streams here.")
            color: Theme.textFaint
            font.pixelSize: Theme.fontMd
        }
        Banner {
            Layout.fillWidth: true
            text: root.generator.error
            closable: false
        }
    }
}
