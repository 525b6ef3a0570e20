import QtQuick
import QtQuick.Layouts
import Pareto.Theme
import Pareto.Bridge

// An inline message: an error (red) or a notice, with a close button.
Rectangle {
    id: root
    property string text
    property bool error: true
    property bool closable: true
    signal closed()

    visible: text !== ""
    implicitHeight: visible ? row.implicitHeight + 20 : 0
    radius: Theme.radius
    color: error ? Theme.dangerSoft : Theme.accentSoft
    border.color: error ? Qt.rgba(0.94, 0.39, 0.43, 0.45) : Qt.rgba(0.48, 0.55, 1, 0.4)

    RowLayout {
        id: row
        anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: 12 }
        spacing: 10
        Icon { name: root.error ? "alert" : "info"; color: root.error ? Theme.danger : Theme.accent; size: 18 }
        Text {
            objectName: "bannerText"
            text: root.text
            color: Theme.text
            font.pixelSize: Theme.fontMd
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
        Item {
            visible: root.closable
            implicitWidth: 24; implicitHeight: 24
            Icon { anchors.centerIn: parent; name: "close"; size: 14; color: Theme.textDim }
            MouseArea { anchors.fill: parent; cursorShape: Qt.PointingHandCursor; onClicked: root.closed() }
        }
    }
}
