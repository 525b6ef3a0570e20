import QtQuick
import QtQuick.Templates as T
import Pareto.Theme

T.Switch {
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
        implicitWidth: 34
        implicitHeight: 18
        radius: 9
        color: control.checked ? Theme.accent : Theme.surfaceRaised
        border.color: control.checked ? Theme.accent : Theme.borderStrong
        opacity: control.enabled ? 1 : 0.45
        Rectangle {
            x: control.checked ? parent.width - width - 3 : 3
            y: 3
            width: 12; height: 12; radius: 6
            color: control.checked ? "#0e1015" : Theme.textDim
            Behavior on x { NumberAnimation { duration: 120 } }
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
