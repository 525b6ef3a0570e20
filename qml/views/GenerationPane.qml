import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// One Generator's output in prompt mode: the prompt as the model saw it, the
// continuation as it streams, and the live numbers (GenerationStats). Side by side,
// two of them, each with its title.
Rectangle {
    id: root
    required property Generator generator
    property string title: ""          // side by side: "Baseline", "Compressed"
    property color tint: Theme.accent
    property bool compact: false       // side by side: fewer tiles
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

        RowLayout {  // title (side by side: which model)
            visible: root.title !== ""
            Layout.fillWidth: true
            spacing: 8
            Chip {
                objectName: "paneTitle"
                text: root.title
                icon: "model"
                tint: root.tint
            }
            Text {
                Layout.fillWidth: true
                text: root.generator.modelName
                color: Theme.textDim
                font.pixelSize: Theme.fontSm
                elide: Text.ElideMiddle
            }
        }

        GenerationStats {
            Layout.fillWidth: true
            Layout.fillHeight: false
            generator: root.generator
            compact: root.compact
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
