import QtQuick
import QtQuick.Layouts
import Pareto.Theme
import Pareto.Bridge

// One entry of the sidebar.
Rectangle {
    id: root
    property string icon
    property string title
    property string subtitle
    property bool current: false
    property bool ready: true
    signal clicked()

    implicitHeight: 48
    radius: Theme.radius
    color: current ? Theme.accentSoft : mouse.containsMouse ? Theme.surfaceHover : "transparent"
    Accessible.role: Accessible.Button
    Accessible.name: title

    Rectangle {  // the current page's marker
        visible: root.current
        width: 3; height: 22; radius: 2
        color: Theme.accent
        anchors { left: parent.left; verticalCenter: parent.verticalCenter }
    }
    RowLayout {
        anchors { fill: parent; leftMargin: 14; rightMargin: 10 }
        spacing: 12
        Icon { name: root.icon; size: 18; color: root.current ? Theme.accent : Theme.textDim }
        ColumnLayout {
            spacing: 0
            Layout.fillWidth: true
            Text {
                text: root.title
                color: root.current ? Theme.text : Theme.textDim
                font.pixelSize: Theme.fontMd
                font.weight: root.current ? Font.DemiBold : Font.Normal
            }
            Text {
                text: root.subtitle
                color: Theme.textFaint
                font.pixelSize: Theme.fontXs
                Layout.fillWidth: true
                elide: Text.ElideRight
            }
        }
        Rectangle {
            visible: !root.ready
            implicitWidth: soon.implicitWidth + 10; implicitHeight: 16; radius: 8
            color: Theme.surfaceRaised
            border.color: Theme.border
            Text { id: soon; anchors.centerIn: parent; text: qsTr("soon"); color: Theme.textFaint; font.pixelSize: 10 }
        }
    }
    MouseArea {
        id: mouse
        anchors.fill: parent
        hoverEnabled: true
        cursorShape: Qt.PointingHandCursor
        onClicked: root.clicked()
    }
}
