import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// A page whose engine is not there yet: what it will show and what it arrives with.
// No made-up data: the features are listed, not imitated.
Item {
    id: root
    property string icon
    property string title
    property string arrives          // "the profiler: …"
    property var features: []        // what the page will hold
    property string meanwhile        // what can be done today instead

    Flickable {
        anchors.fill: parent
        contentHeight: Math.max(height, column.implicitHeight + 80)
        clip: true
        boundsBehavior: Flickable.StopAtBounds

        ColumnLayout {
            id: column
            width: Math.min(parent.width - 64, 760)
            x: (parent.width - width) / 2
            y: Math.max(40, (parent.height - implicitHeight) / 2 - 20)
            spacing: 18

            Rectangle {
                width: 64; height: 64; radius: 16
                color: Theme.accentSoft
                Icon { anchors.centerIn: parent; name: root.icon; size: 30; color: Theme.accent }
            }
            Text {
                objectName: "comingSoonTitle"
                text: root.title
                color: Theme.text
                font.pixelSize: 26
                font.weight: Font.Bold
            }
            Text {
                objectName: "arrivesWith"
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: qsTr("Arrives with %1.").arg(root.arrives)
                color: Theme.textDim
                font.pixelSize: Theme.fontLg
                lineHeight: 1.2
            }
            Card {
                Layout.fillWidth: true
                title: qsTr("What this page will hold")
                ColumnLayout {
                    width: parent.width
                    spacing: 10
                    Repeater {
                        model: root.features
                        RowLayout {
                            required property string modelData
                            Layout.fillWidth: true
                            spacing: 10
                            Rectangle { width: 6; height: 6; radius: 3; color: Theme.accent; Layout.alignment: Qt.AlignTop; Layout.topMargin: 6 }
                            Text {
                                Layout.fillWidth: true
                                text: modelData
                                color: Theme.text
                                font.pixelSize: Theme.fontMd
                                wrapMode: Text.Wrap
                                lineHeight: 1.15
                            }
                        }
                    }
                }
            }
            RowLayout {
                visible: root.meanwhile !== ""
                Layout.fillWidth: true
                spacing: 10
                Icon { name: "info"; size: 16; color: Theme.textFaint; Layout.alignment: Qt.AlignTop }
                Text {
                    Layout.fillWidth: true
                    text: root.meanwhile
                    textFormat: Text.StyledText
                    color: Theme.textFaint
                    font.pixelSize: Theme.fontSm
                    wrapMode: Text.Wrap
                }
            }
        }
    }
}
