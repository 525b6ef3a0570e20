import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// The models opened before (kept across restarts); a click opens one again.
Card {
    id: root
    required property Workbench workbench
    readonly property RecentModels recent: workbench.recent
    objectName: "recentModelsCard"
    title: qsTr("Recent models")
    icon: "clock"
    implicitHeight: (recent.count > 0 ? list.contentHeight : empty.implicitHeight) + 70

    headerExtra: [
        Text {
            visible: root.recent.count > 0
            text: qsTr("Clear")
            color: Theme.accent
            font.pixelSize: Theme.fontSm
            MouseArea { anchors.fill: parent; cursorShape: Qt.PointingHandCursor; onClicked: root.recent.clear() }
        }
    ]

    Text {
        id: empty
        visible: root.recent.count === 0
        text: qsTr("Models you open appear here.")
        color: Theme.textFaint
        font.pixelSize: Theme.fontMd
    }

    ListView {
        id: list
        objectName: "recentList"
        anchors.fill: parent
        visible: root.recent.count > 0
        interactive: false
        model: root.recent
        spacing: 2
        delegate: Rectangle {
            id: entry
            required property string path
            required property string fileName
            required property string folder
            required property bool exists
            required property double size
            width: ListView.view.width
            height: 44
            radius: 6
            color: mouse.containsMouse && exists ? Theme.surfaceHover : "transparent"
            MouseArea {
                id: mouse
                anchors.fill: parent
                hoverEnabled: true
                enabled: entry.exists
                cursorShape: Qt.PointingHandCursor
                onClicked: root.workbench.openModel(entry.path, false)
            }
            RowLayout {
                anchors { fill: parent; leftMargin: 10; rightMargin: 6 }
                spacing: 12
                Icon { name: "file"; size: 18; color: entry.exists ? Theme.accent : Theme.textFaint }
                Text {
                    text: entry.fileName
                    color: entry.exists ? Theme.text : Theme.textFaint
                    font.pixelSize: Theme.fontMd
                    font.weight: Font.Medium
                }
                Text {
                    text: entry.folder
                    color: Theme.textFaint
                    font.pixelSize: Theme.fontSm
                    font.family: Theme.mono
                    elide: Text.ElideMiddle
                    Layout.fillWidth: true
                }
                Text {
                    text: entry.exists ? Fmt.bytes(entry.size) : qsTr("missing")
                    color: entry.exists ? Theme.textDim : Theme.danger
                    font.pixelSize: Theme.fontSm
                    font.family: Theme.mono
                }
                Item {
                    implicitWidth: 28; implicitHeight: 28
                    Icon { anchors.centerIn: parent; name: "close"; size: 13; color: Theme.textFaint }
                    MouseArea {
                        anchors.fill: parent
                        cursorShape: Qt.PointingHandCursor
                        onClicked: root.recent.remove(entry.path)
                    }
                    ToolTip.visible: false
                }
            }
        }
    }
}
