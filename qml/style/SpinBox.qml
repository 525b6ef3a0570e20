import QtQuick
import QtQuick.Templates as T
import Pareto.Theme

T.SpinBox {
    id: control
    implicitWidth: Math.max(implicitBackgroundWidth + leftInset + rightInset, contentItem.implicitWidth + leftPadding + rightPadding)
    implicitHeight: Math.max(implicitBackgroundHeight + topInset + bottomInset, implicitContentHeight + topPadding + bottomPadding)
    leftPadding: 12
    rightPadding: 64
    font.pixelSize: Theme.fontMd
    editable: true
    hoverEnabled: true

    validator: IntValidator { bottom: Math.min(control.from, control.to); top: Math.max(control.from, control.to) }

    contentItem: TextInput {
        text: control.displayText
        font.pixelSize: control.font.pixelSize
        font.family: Theme.mono
        color: control.enabled ? Theme.text : Theme.textFaint
        selectionColor: Theme.accentSoft
        selectedTextColor: Theme.text
        verticalAlignment: Qt.AlignVCenter
        readOnly: !control.editable
        validator: control.validator
        inputMethodHints: control.inputMethodHints
        selectByMouse: true
    }

    component Step: Rectangle {
        property bool pressed
        property string glyph
        implicitWidth: 28
        implicitHeight: 26
        radius: 4
        color: pressed ? Theme.accentSoft : Theme.surfaceHover
        Text { anchors.centerIn: parent; text: parent.glyph; color: Theme.text; font.pixelSize: 15 }
    }
    down.indicator: Step {
        x: control.width - 2 * width - 6
        y: (control.height - height) / 2
        pressed: control.down.pressed
        glyph: "−"
    }
    up.indicator: Step {
        x: control.width - width - 4
        y: (control.height - height) / 2
        pressed: control.up.pressed
        glyph: "+"
    }

    background: Rectangle {
        implicitWidth: 140
        implicitHeight: 34
        radius: 6
        color: Theme.surfaceRaised
        border.color: control.activeFocus ? Theme.accent : Theme.borderStrong
    }
}
