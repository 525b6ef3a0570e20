import QtQuick
import QtQuick.Templates as T
import Pareto.Theme

T.ItemDelegate {
    id: control
    implicitWidth: Math.max(implicitBackgroundWidth + leftInset + rightInset, implicitContentWidth + leftPadding + rightPadding)
    implicitHeight: Math.max(implicitBackgroundHeight + topInset + bottomInset, implicitContentHeight + topPadding + bottomPadding)
    padding: 8
    horizontalPadding: 12
    font.pixelSize: Theme.fontMd
    hoverEnabled: true

    contentItem: Text {
        text: control.text
        font: control.font
        color: control.enabled ? Theme.text : Theme.textFaint
        elide: Text.ElideRight
        verticalAlignment: Text.AlignVCenter
    }
    background: Rectangle {
        implicitHeight: 32
        radius: 4
        color: control.down ? Theme.accentSoft : control.highlighted || control.hovered ? Theme.surfaceHover : "transparent"
    }
}
