import QtQuick
import Pareto.Theme
import Pareto.Bridge

// A small pill: a tag, a state, a number with its unit.
Rectangle {
    id: root
    property alias text: label.text
    property color tint: Theme.textDim
    property bool strong: false
    property string icon

    implicitWidth: row.implicitWidth + 16
    implicitHeight: 22
    radius: height / 2
    color: Qt.rgba(tint.r, tint.g, tint.b, strong ? 0.22 : 0.12)
    border.color: Qt.rgba(tint.r, tint.g, tint.b, 0.35)
    border.width: 1

    Row {
        id: row
        anchors.centerIn: parent
        spacing: 5
        Icon { visible: root.icon !== ""; name: root.icon; size: 12; color: root.tint; anchors.verticalCenter: parent.verticalCenter }
        Text {
            id: label
            color: root.strong ? Theme.text : root.tint
            font.pixelSize: Theme.fontXs
            font.weight: Font.Medium
            anchors.verticalCenter: parent.verticalCenter
        }
    }
}
