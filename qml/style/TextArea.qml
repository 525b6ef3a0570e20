import QtQuick
import QtQuick.Templates as T
import Pareto.Theme

T.TextArea {
    id: control
    implicitWidth: Math.max(contentWidth + leftPadding + rightPadding, implicitBackgroundWidth + leftInset + rightInset, placeholder.implicitWidth + leftPadding + rightPadding)
    implicitHeight: Math.max(contentHeight + topPadding + bottomPadding, implicitBackgroundHeight + topInset + bottomInset, placeholder.implicitHeight + topPadding + bottomPadding)
    padding: 6
    font.pixelSize: Theme.fontMd
    color: enabled ? Theme.text : Theme.textDim
    selectionColor: Theme.accentSoft
    selectedTextColor: Theme.text
    placeholderTextColor: Theme.textFaint
    selectByMouse: true

    Text {
        id: placeholder
        x: control.leftPadding
        y: control.topPadding
        width: control.width - control.leftPadding - control.rightPadding
        text: control.placeholderText
        font: control.font
        color: control.placeholderTextColor
        visible: !control.length && !control.preeditText
        wrapMode: Text.Wrap
    }
}
