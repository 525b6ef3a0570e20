import QtQuick
import Pareto.Theme
import Pareto.Bridge

// A tensor type ("Q4_K") in the colour of its bit width.
Rectangle {
    id: root
    property string type
    implicitWidth: Math.max(label.implicitWidth + 10, 38)
    implicitHeight: 18
    radius: 4
    readonly property color tint: Theme.typeColor(type)
    color: Qt.rgba(tint.r, tint.g, tint.b, 0.16)
    border.color: Qt.rgba(tint.r, tint.g, tint.b, 0.45)
    Text {
        id: label
        anchors.centerIn: parent
        text: root.type
        color: root.tint
        font.family: Theme.mono
        font.pixelSize: Theme.fontXs
    }
}
