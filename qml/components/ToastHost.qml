import QtQuick
import QtQuick.Layouts
import Pareto.Theme
import Pareto.Bridge

// Notifications that appear over any page and go away by themselves (errors stay
// longer). show(message, error).
Item {
    id: root
    width: 420
    height: column.implicitHeight

    function show(message, error) {
        toasts.append({ message: message, error: error })
        if (toasts.count > 4) toasts.remove(0)
    }

    ListModel { id: toasts }

    Column {
        id: column
        width: parent.width
        spacing: 8
        Repeater {
            model: toasts
            Rectangle {
                id: toast
                required property string message
                required property bool error
                required property int index
                objectName: "toast"
                width: column.width
                height: row.implicitHeight + 20
                radius: Theme.radius
                color: Theme.surfaceRaised
                border.color: error ? Theme.danger : Theme.borderStrong
                RowLayout {
                    id: row
                    anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: 12 }
                    spacing: 10
                    Icon { name: toast.error ? "alert" : "check"; color: toast.error ? Theme.danger : Theme.success; size: 16 }
                    Text {
                        text: toast.message
                        color: Theme.text
                        font.pixelSize: Theme.fontSm
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                        maximumLineCount: 4
                        elide: Text.ElideRight
                    }
                }
                MouseArea { anchors.fill: parent; onClicked: toasts.remove(toast.index) }
                Timer {
                    running: true
                    interval: toast.error ? 9000 : 4000
                    onTriggered: toasts.remove(toast.index)
                }
            }
        }
    }
}
