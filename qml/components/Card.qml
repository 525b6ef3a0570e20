import QtQuick
import QtQuick.Layouts
import Pareto.Theme
import Pareto.Bridge

// A surface with an optional title row; children go below the title.
Rectangle {
    id: root
    property string title
    property string subtitle
    property string icon
    default property alias content: body.data
    property alias headerExtra: extra.data
    property int padding: Theme.pad

    color: Theme.surface
    radius: Theme.radius
    border.color: Theme.border
    border.width: 1
    implicitWidth: 320
    implicitHeight: (title ? header.implicitHeight + Theme.gap : 0) + body.childrenRect.height + 2 * padding

    RowLayout {
        id: header
        visible: root.title !== ""
        anchors { left: parent.left; right: parent.right; top: parent.top; margins: root.padding }
        spacing: 8
        Icon { visible: root.icon !== ""; name: root.icon; size: 16; color: Theme.textDim }
        Text {
            text: root.title
            color: Theme.text
            font.pixelSize: Theme.fontLg
            font.weight: Font.DemiBold
        }
        Text {
            visible: root.subtitle !== ""
            text: root.subtitle
            color: Theme.textFaint
            font.pixelSize: Theme.fontSm
            Layout.fillWidth: true
            elide: Text.ElideRight
        }
        Item { visible: root.subtitle === ""; Layout.fillWidth: true }
        Row { id: extra; spacing: 8 }
    }

    Item {
        id: body
        anchors {
            left: parent.left; right: parent.right; bottom: parent.bottom
            top: root.title !== "" ? header.bottom : parent.top
            margins: root.padding
            topMargin: root.title !== "" ? Theme.gap : root.padding
        }
    }
}
