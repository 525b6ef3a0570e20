import QtQuick
import QtQuick.Shapes
import Pareto.Theme
import Pareto.Bridge

// A line icon drawn from an SVG path on a 24 x 24 grid (the set below is Pareto's own).
Item {
    id: root
    property string name
    property color color: Theme.textDim
    property real size: 18
    property real lineWidth: 1.8
    property bool filled: false

    readonly property var paths: ({
        "model": "M12 2.5 L20.5 7 L20.5 17 L12 21.5 L3.5 17 L3.5 7 Z M3.5 7 L12 11.5 L20.5 7 M12 11.5 L12 21.5",
        "compress": "M4 7 H13 M17 7 H20 M15 5 V9 M4 17 H7 M11 17 H20 M9 15 V19 M4 12 H20",
        "playground": "M4 5 H20 V16 H10 L6 19.5 V16 H4 Z M8 9 H16 M8 12 H13",
        "profile": "M3 12 H7 L10 5 L14 19 L17 12 H21",
        "runs": "M9 6 H20 M9 12 H20 M9 18 H20 M4.5 6 H5 M4.5 12 H5 M4.5 18 H5",
        "folder": "M3 6.5 H9.5 L11.5 8.5 H21 V19 H3 Z",
        "spark": "M12 3 V7 M12 17 V21 M3 12 H7 M17 12 H21 M6.5 6.5 L9 9 M15 15 L17.5 17.5 M6.5 17.5 L9 15 M15 9 L17.5 6.5",
        "play": "M7 4.5 L19 12 L7 19.5 Z",
        "stop": "M6.5 6.5 H17.5 V17.5 H6.5 Z",
        "pause": "M8 5 V19 M16 5 V19",
        "next": "M6 5 L15 12 L6 19 Z M18 5 V19",
        "close": "M6.5 6.5 L17.5 17.5 M17.5 6.5 L6.5 17.5",
        "chevron": "M9 6 L15 12 L9 18",
        "file": "M6 3 H14 L18.5 7.5 V21 H6 Z M14 3 V7.5 H18.5",
        "cpu": "M7 7 H17 V17 H7 Z M10 10 H14 V14 H10 Z M9.5 3 V7 M14.5 3 V7 M9.5 17 V21 M14.5 17 V21 M3 9.5 H7 M3 14.5 H7 M17 9.5 H21 M17 14.5 H21",
        "memory": "M3 8 H21 V16 H3 Z M7 16 V19 M12 16 V19 M17 16 V19 M7 11 V13 M11 11 V13 M15 11 V13",
        "clock": "M12 3 A9 9 0 1 1 11.99 3 Z M12 7 V12 L15.5 14",
        "alert": "M12 3.5 L21.5 20 H2.5 Z M12 10 V14 M12 17 V17.2",
        "info": "M12 3 A9 9 0 1 1 11.99 3 Z M12 11 V17 M12 7.5 V7.7",
        "reset": "M4 5 V10 H9 M5 15 A7.5 7.5 0 1 0 6.2 7.8 L4 10",
        "check": "M5 12.5 L10 17 L19 7",
        "upload": "M12 16 V4 M7 9 L12 4 L17 9 M4 15 V20 H20 V15",
        "gauge": "M4 17 A8 8 0 1 1 20 17 M12 13 L16 8.5",
        "layers": "M12 3 L21 8 L12 13 L3 8 Z M3 12.5 L12 17.5 L21 12.5 M3 16.5 L12 21.5 L21 16.5",
        "pareto": "M4 4 V20 H20 M6.5 7 Q8 15 18 17.5"
    })

    implicitWidth: size
    implicitHeight: size

    Shape {
        anchors.centerIn: parent
        width: 24
        height: 24
        scale: root.size / 24
        antialiasing: true
        ShapePath {
            strokeColor: root.filled ? "transparent" : root.color
            strokeWidth: root.lineWidth
            fillColor: root.filled ? root.color : "transparent"
            capStyle: ShapePath.RoundCap
            joinStyle: ShapePath.RoundJoin
            PathSvg { path: root.paths[root.name] || "" }
        }
    }
}
