import QtQuick
import QtQuick.Shapes
import Pareto.Theme
import Pareto.Bridge

// A small line chart of recent values (e.g. tokens per second while generating).
Item {
    id: root
    property var values: []
    property color color: Theme.accent
    implicitHeight: 36
    implicitWidth: 120

    readonly property real maxValue: {
        let m = 0
        for (const v of values) m = Math.max(m, v)
        return m > 0 ? m * 1.15 : 1
    }
    readonly property var points: {
        const n = values.length
        const pts = []
        for (let i = 0; i < n; ++i)
            pts.push(Qt.point(n > 1 ? i * width / (n - 1) : 0, height - 2 - (height - 4) * values[i] / maxValue))
        return pts
    }

    Shape {
        anchors.fill: parent
        visible: root.values.length > 1
        antialiasing: true
        ShapePath {
            strokeColor: root.color
            strokeWidth: 1.5
            fillColor: "transparent"
            joinStyle: ShapePath.RoundJoin
            PathPolyline { path: root.points }
        }
    }
}
