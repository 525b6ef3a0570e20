import QtQuick
import QtQuick.Shapes
import QtQuick.Templates as T
import Pareto.Theme

T.CheckBox {
    id: control
    implicitWidth: Math.max(implicitBackgroundWidth + leftInset + rightInset, implicitContentWidth + leftPadding + rightPadding)
    implicitHeight: Math.max(implicitBackgroundHeight + topInset + bottomInset, implicitContentHeight + topPadding + bottomPadding, implicitIndicatorHeight + topPadding + bottomPadding)
    padding: 4
    spacing: 8
    font.pixelSize: Theme.fontSm
    hoverEnabled: true

    indicator: Rectangle {
        x: control.leftPadding
        y: control.topPadding + (control.availableHeight - height) / 2
        implicitWidth: 16
        implicitHeight: 16
        radius: 4
        color: control.checked ? Theme.accent : Theme.surfaceRaised
        border.color: control.checked ? Theme.accent : control.hovered ? Theme.textDim : Theme.borderStrong
        opacity: control.enabled ? 1 : 0.5
        Shape {
            anchors.fill: parent
            visible: control.checked
            antialiasing: true
            ShapePath {
                strokeColor: "#0e1015"
                strokeWidth: 2
                fillColor: "transparent"
                capStyle: ShapePath.RoundCap
                joinStyle: ShapePath.RoundJoin
                PathSvg { path: "M4 8.5 L7 11.5 L12.5 5" }
            }
        }
    }

    contentItem: Text {
        leftPadding: control.indicator.width + control.spacing
        text: control.text
        font: control.font
        color: control.enabled ? Theme.textDim : Theme.textFaint
        verticalAlignment: Text.AlignVCenter
    }
}
