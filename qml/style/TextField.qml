import QtQuick
import QtQuick.Templates as T
import Pareto.Theme

T.TextField {
    id: control
    implicitWidth: implicitBackgroundWidth + leftInset + rightInset || Math.max(contentWidth, placeholder.implicitWidth) + leftPadding + rightPadding
    implicitHeight: Math.max(implicitBackgroundHeight + topInset + bottomInset, contentHeight + topPadding + bottomPadding)
    padding: 7
    leftPadding: 10
    font.pixelSize: Theme.fontMd
    color: enabled ? Theme.text : Theme.textFaint
    selectionColor: Theme.accentSoft
    selectedTextColor: Theme.text
    placeholderTextColor: Theme.textFaint
    verticalAlignment: TextInput.AlignVCenter
    selectByMouse: true

    Text {
        id: placeholder
        x: control.leftPadding
        y: control.topPadding
        width: control.width - control.leftPadding - control.rightPadding
        height: control.height - control.topPadding - control.bottomPadding
        text: control.placeholderText
        font: control.font
        color: control.placeholderTextColor
        verticalAlignment: control.verticalAlignment
        visible: !control.length && !control.preeditText
        elide: Text.ElideRight
    }

    background: Rectangle {
        implicitWidth: 160
        implicitHeight: 34
        radius: 6
        color: control.enabled ? Theme.surfaceRaised : Theme.surface
        border.color: control.activeFocus ? Theme.accent : Theme.borderStrong
    }
}
