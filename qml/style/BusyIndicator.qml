import QtQuick
import QtQuick.Shapes
import QtQuick.Templates as T
import Pareto.Theme

T.BusyIndicator {
    id: control
    implicitWidth: implicitContentWidth + leftPadding + rightPadding
    implicitHeight: implicitContentHeight + topPadding + bottomPadding
    padding: 4

    contentItem: Item {
        implicitWidth: 40
        implicitHeight: 40
        visible: control.running
        Shape {
            id: arc
            anchors.centerIn: parent
            width: Math.min(parent.width, parent.height)
            height: width
            antialiasing: true
            ShapePath {
                strokeColor: Theme.accent
                strokeWidth: Math.max(2.5, arc.width / 12)
                fillColor: "transparent"
                capStyle: ShapePath.RoundCap
                PathAngleArc {
                    centerX: arc.width / 2
                    centerY: arc.height / 2
                    radiusX: arc.width / 2 - 3
                    radiusY: arc.height / 2 - 3
                    startAngle: 0
                    sweepAngle: 270
                }
            }
            RotationAnimator on rotation {
                running: control.running && control.visible
                from: 0; to: 360
                duration: 900
                loops: Animation.Infinite
            }
        }
    }
}
