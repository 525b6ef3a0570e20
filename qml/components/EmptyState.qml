import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Theme
import Pareto.Bridge

// What a page shows when it has nothing to show yet, and how to get there.
Item {
    id: root
    property string icon: "info"
    property string title
    property string text
    property string actionText
    signal action()
    implicitHeight: column.implicitHeight
    implicitWidth: column.implicitWidth

    ColumnLayout {
        id: column
        anchors.centerIn: parent
        width: Math.min(parent.width - 48, 520)
        spacing: 12
        Rectangle {
            Layout.alignment: Qt.AlignHCenter
            width: 64; height: 64; radius: 32
            color: Theme.surfaceRaised
            border.color: Theme.border
            Icon { anchors.centerIn: parent; name: root.icon; size: 28; color: Theme.accent }
        }
        Text {
            objectName: "emptyTitle"
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            text: root.title
            color: Theme.text
            font.pixelSize: Theme.fontXl
            font.weight: Font.DemiBold
            wrapMode: Text.Wrap
        }
        Text {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            text: root.text
            color: Theme.textDim
            font.pixelSize: Theme.fontMd
            wrapMode: Text.Wrap
            lineHeight: 1.25
        }
        Button {
            objectName: "emptyAction"
            visible: root.actionText !== ""
            Layout.alignment: Qt.AlignHCenter
            text: root.actionText
            highlighted: true
            onClicked: root.action()
        }
    }
}
