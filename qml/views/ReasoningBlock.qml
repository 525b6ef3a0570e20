import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Theme
import Pareto.Bridge

// A reasoning model's thinking (DeepSeek-R1's <think>…</think>) above its answer:
// open while the reasoning streams, closed once the answer starts (left open when
// the reply ended without one); a click on the header opens or closes it for good.
Rectangle {
    id: root
    property string text
    property bool active: false          // the reasoning is streaming
    property bool alone: false           // the reply ended with no answer: nothing else to show
    property bool userExpanded: false
    property bool userToggled: false
    readonly property bool expanded: userToggled ? userExpanded : (active || alone)
    objectName: "reasoningBlock"

    implicitHeight: column.implicitHeight + 16
    radius: Theme.radius
    color: Theme.bg
    border.color: active ? Theme.accentSoft : Theme.border

    function toggle() {
        userExpanded = !expanded
        userToggled = true
    }

    ColumnLayout {
        id: column
        anchors { left: parent.left; right: parent.right; top: parent.top; margins: 8 }
        spacing: 6

        MouseArea {
            objectName: "reasoningHeader"
            Layout.fillWidth: true
            implicitHeight: header.implicitHeight + 4
            cursorShape: Qt.PointingHandCursor
            onClicked: root.toggle()
            RowLayout {
                id: header
                anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter }
                spacing: 6
                Icon {
                    name: "chevron"
                    size: 14
                    rotation: root.expanded ? 90 : 0
                    color: Theme.textDim
                }
                Text {
                    text: root.active ? qsTr("Reasoning…") : qsTr("Reasoning")
                    color: root.active ? Theme.accent : Theme.textDim
                    font.pixelSize: Theme.fontSm
                    font.weight: Font.DemiBold
                }
                Text {
                    Layout.fillWidth: true
                    text: root.expanded ? "" : qsTr("%1 words").arg(root.text.split(/\s+/).filter(w => w.length > 0).length)
                    color: Theme.textFaint
                    font.pixelSize: Theme.fontSm
                    elide: Text.ElideRight
                }
            }
        }
        Text {
            objectName: "reasoningText"
            visible: root.expanded
            Layout.fillWidth: true
            text: root.text
            textFormat: Text.PlainText
            wrapMode: Text.Wrap
            color: Theme.textDim
            font.pixelSize: Theme.fontMd
            font.italic: true
            lineHeight: 1.25
        }
    }
}
