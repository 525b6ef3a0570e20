import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// Chat mode: the conversation as bubbles (the user's on the right, the model's on
// the left with its reasoning in a ReasoningBlock above the answer), the reply
// streaming into the last one, and the live numbers of the current reply.
Rectangle {
    id: root
    required property Generator generator
    readonly property ChatModel conversation: generator.conversation
    objectName: "chatPane"

    radius: Theme.radius
    color: Theme.surface
    border.color: Theme.border

    ColumnLayout {
        anchors { fill: parent; margins: Theme.pad }
        spacing: Theme.gap

        GenerationStats {
            Layout.fillWidth: true
            Layout.fillHeight: false
            generator: root.generator
        }

        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }

        ListView {
            id: list
            objectName: "chatList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 14
            model: root.conversation
            ScrollBar.vertical: ScrollBar {}
            // Follow the reply as it streams.
            onContentHeightChanged: if (root.generator.running) positionViewAtEnd()
            onCountChanged: positionViewAtEnd()

            delegate: Item {
                id: turn
                required property int index
                required property string role
                required property string text
                required property string reasoning
                required property bool reasoningActive
                required property bool streaming
                required property string stats
                readonly property bool mine: role === "user"
                width: ListView.view.width
                implicitHeight: bubble.implicitHeight

                Rectangle {
                    id: bubble
                    objectName: turn.mine ? "userBubble" : "assistantBubble"
                    anchors.right: turn.mine ? parent.right : undefined
                    anchors.left: turn.mine ? undefined : parent.left
                    width: Math.min(turn.width * (turn.mine ? 0.75 : 0.9),
                                    Math.max(bubbleColumn.implicitWidth, turn.mine ? 0 : turn.width * 0.9) + 28)
                    implicitHeight: bubbleColumn.implicitHeight + 24
                    radius: 12
                    color: turn.mine ? Theme.accentSoft : Theme.surfaceRaised
                    border.color: turn.mine ? Theme.accent : Theme.border

                    ColumnLayout {
                        id: bubbleColumn
                        anchors { left: parent.left; right: parent.right; top: parent.top; margins: 12; leftMargin: 14; rightMargin: 14 }
                        spacing: 8
                        Text {
                            text: turn.mine ? qsTr("You") : root.generator.modelName
                            color: turn.mine ? Theme.accent : Theme.teal
                            font.pixelSize: Theme.fontXs
                            font.weight: Font.DemiBold
                        }
                        ReasoningBlock {
                            visible: !turn.mine && (turn.reasoning !== "" || turn.reasoningActive)
                            Layout.fillWidth: true
                            text: turn.reasoning
                            active: turn.reasoningActive
                            alone: !turn.streaming && turn.text === ""
                        }
                        TextEdit {
                            objectName: turn.mine ? "userText" : "answerText"
                            Layout.fillWidth: true
                            visible: text !== ""
                            text: turn.text + (turn.streaming && !turn.reasoningActive ? "▍" : "")
                            textFormat: TextEdit.PlainText
                            readOnly: true
                            selectByMouse: true
                            wrapMode: TextEdit.Wrap
                            color: Theme.text
                            selectionColor: Theme.accentSoft
                            font.pixelSize: Theme.fontLg
                        }
                        Text {
                            visible: !turn.mine && !turn.streaming && turn.text === ""
                            text: turn.reasoning !== "" ? qsTr("The reply ended while reasoning, before an answer.")
                                                        : qsTr("The reply was empty.")
                            color: Theme.textFaint
                            font.pixelSize: Theme.fontSm
                            font.italic: true
                        }
                        Text {
                            visible: turn.stats !== ""
                            text: turn.stats
                            color: Theme.textFaint
                            font.pixelSize: Theme.fontXs
                        }
                    }
                }
            }
        }
        Text {
            visible: root.conversation.count === 0
            Layout.alignment: Qt.AlignHCenter
            Layout.bottomMargin: 8
            text: qsTr("Chat with %1 — template: %2").arg(root.generator.modelName).arg(root.generator.chatInfo)
            color: Theme.textFaint
            font.pixelSize: Theme.fontMd
            elide: Text.ElideRight
            Layout.maximumWidth: parent.width
        }
        Banner {
            Layout.fillWidth: true
            text: root.generator.error
            closable: false
        }
    }
}
