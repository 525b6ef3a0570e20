import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// Time per token by op kind or by layer, for prefill or decode: a bar per row with
// its share of the phase's op time.
Card {
    id: root
    required property ProfileController pc
    implicitHeight: 280  // sized by the page's layout; the contents fill it
    property OpBarModel bars
    subtitle: qsTr("ms/token")
    headerExtra: [
        Repeater {
            model: [qsTr("Prefill"), qsTr("Decode")]
            Chip {
                required property string modelData
                required property int index
                text: modelData
                tint: root.pc.phase === index ? Theme.accent : Theme.textFaint
                strong: root.pc.phase === index
                MouseArea { anchors.fill: parent; cursorShape: Qt.PointingHandCursor; onClicked: root.pc.phase = index }
            }
        }
    ]
    ListView {
        id: list
        anchors.fill: parent
        clip: true
        model: root.bars
        spacing: 2
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}
        delegate: Item {
            id: bar
            required property string label
            required property double ms
            required property double share
            required property double gbPerS
            required property color barColor
            required property double fraction
            width: list.width
            height: 17
            Text {
                id: name
                width: 92
                anchors.verticalCenter: parent.verticalCenter
                text: bar.label
                color: Theme.textDim
                font.pixelSize: Theme.fontSm
                elide: Text.ElideRight
            }
            Rectangle {
                id: track
                anchors { left: name.right; right: value.left; rightMargin: 8; verticalCenter: parent.verticalCenter }
                height: 12
                radius: 3
                color: Theme.surfaceRaised
                Rectangle {
                    width: Math.max(2, parent.width * bar.fraction)
                    height: parent.height
                    radius: 3
                    color: bar.barColor
                }
            }
            Text {
                id: value
                anchors { right: parent.right; verticalCenter: parent.verticalCenter }
                width: 118
                horizontalAlignment: Text.AlignRight
                text: bar.ms.toFixed(bar.ms < 0.1 ? 4 : 3) + "  " + (bar.share * 100).toFixed(1) + "%"
                color: Theme.text
                font.pixelSize: Theme.fontSm
                font.family: Theme.mono
            }
            ToolTip.visible: hover.containsMouse
            ToolTip.text: qsTr("%1: %2 ms per token, %3 % of op time, %4 GB/s").arg(bar.label).arg(bar.ms.toFixed(4))
                          .arg((bar.share * 100).toFixed(1)).arg(bar.gbPerS.toFixed(2))
            MouseArea { id: hover; anchors.fill: parent; hoverEnabled: true }
        }
    }
}
