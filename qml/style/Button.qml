import QtQuick
import QtQuick.Templates as T
import Pareto.Theme

// Pareto's button: raised, highlighted (the accent: the page's main action) or flat.
T.Button {
    id: control
    implicitWidth: Math.max(implicitBackgroundWidth + leftInset + rightInset, implicitContentWidth + leftPadding + rightPadding)
    implicitHeight: Math.max(implicitBackgroundHeight + topInset + bottomInset, implicitContentHeight + topPadding + bottomPadding)
    padding: 6
    horizontalPadding: 16
    font.pixelSize: Theme.fontMd
    font.weight: Font.Medium
    hoverEnabled: true

    contentItem: Text {
        text: control.text
        font: control.font
        color: !control.enabled ? Theme.textFaint : control.highlighted ? "#0e1015" : control.flat ? Theme.accent : Theme.text
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
    }

    background: Rectangle {
        implicitWidth: 80
        implicitHeight: 34
        radius: 6
        visible: !control.flat || control.hovered || control.down
        color: {
            if (control.highlighted)
                return !control.enabled ? Theme.surfaceRaised : control.down ? Qt.darker(Theme.accent, 1.2)
                     : control.hovered ? Qt.lighter(Theme.accent, 1.08) : Theme.accent
            if (control.flat) return control.down ? Theme.surfaceRaised : Theme.surfaceHover
            return control.down ? Theme.surface : control.hovered ? Theme.surfaceHover : Theme.surfaceRaised
        }
        border.color: control.highlighted || control.flat ? "transparent" : control.visualFocus ? Theme.accent : Theme.borderStrong
    }
}
