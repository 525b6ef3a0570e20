import QtQuick
import QtQuick.Layouts
import Pareto.Theme
import Pareto.Bridge

// A stacked bar of memory categories with a legend: segments are
// [{label, bytes, color}]; `capacity` (bytes, 0: none) draws where the memory ends.
ColumnLayout {
    id: root
    property var segments: []
    property real capacity: 0
    readonly property real total: {
        let t = 0
        for (const s of segments) t += s.bytes
        return t
    }
    readonly property real scaleMax: Math.max(total, capacity > 0 ? Math.min(capacity, total * 4) : total, 1)
    spacing: 10

    Item {
        Layout.fillWidth: true
        implicitHeight: 18
        Rectangle {
            anchors.fill: parent
            radius: 5
            color: Theme.surfaceRaised
            border.color: Theme.border
        }
        Row {
            id: bars
            anchors { left: parent.left; top: parent.top; bottom: parent.bottom; margins: 2 }
            readonly property real full: parent.width - 4
            Repeater {
                model: root.segments
                Rectangle {
                    required property var modelData
                    required property int index
                    objectName: "memorySegment"
                    height: bars.height
                    width: Math.max(modelData.bytes > 0 ? 2 : 0, bars.full * modelData.bytes / root.scaleMax)
                    color: modelData.color
                    radius: 3
                }
            }
        }
        Rectangle {  // the memory available, when it is inside the bar's scale
            visible: root.capacity > 0 && root.capacity < root.scaleMax
            x: 2 + (parent.width - 4) * root.capacity / root.scaleMax
            width: 2
            height: parent.height + 8
            y: -4
            color: Theme.danger
        }
    }

    Flow {
        Layout.fillWidth: true
        spacing: 16
        Repeater {
            model: root.segments
            Row {
                required property var modelData
                spacing: 6
                Rectangle { width: 10; height: 10; radius: 2; color: modelData.color; anchors.verticalCenter: parent.verticalCenter }
                Text { text: modelData.label; color: Theme.textDim; font.pixelSize: Theme.fontSm }
                Text { text: Fmt.bytes(modelData.bytes); color: Theme.text; font.pixelSize: Theme.fontSm; font.family: Theme.mono }
            }
        }
    }
}
