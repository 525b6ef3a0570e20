import QtQuick
import QtQuick.Templates as T
import Pareto.Theme

T.ProgressBar {
    id: control
    implicitWidth: Math.max(implicitBackgroundWidth + leftInset + rightInset, implicitContentWidth + leftPadding + rightPadding)
    implicitHeight: Math.max(implicitBackgroundHeight + topInset + bottomInset, implicitContentHeight + topPadding + bottomPadding)

    contentItem: Item {
        implicitWidth: 200
        implicitHeight: 6
        clip: true
        Rectangle {
            visible: !control.indeterminate
            width: control.visualPosition * parent.width
            height: parent.height
            radius: 3
            color: Theme.accent
        }
        Rectangle {  // indeterminate: a segment sweeping across
            id: sweep
            visible: control.indeterminate
            width: parent.width * 0.3
            height: parent.height
            radius: 3
            color: Theme.accent
            XAnimator on x {
                running: control.indeterminate && control.visible
                from: -sweep.width
                to: control.availableWidth
                duration: 1100
                loops: Animation.Infinite
            }
        }
    }

    background: Rectangle {
        implicitWidth: 200
        implicitHeight: 6
        y: (control.height - height) / 2
        height: 6
        radius: 3
        color: Theme.surfaceRaised
        border.color: Theme.border
    }
}
