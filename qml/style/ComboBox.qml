import QtQuick
import QtQuick.Shapes
import QtQuick.Templates as T
import Pareto.Theme

T.ComboBox {
    id: control
    implicitWidth: Math.max(implicitBackgroundWidth + leftInset + rightInset, implicitContentWidth + leftPadding + rightPadding)
    implicitHeight: Math.max(implicitBackgroundHeight + topInset + bottomInset, implicitContentHeight + topPadding + bottomPadding)
    leftPadding: 12
    rightPadding: 32
    font.pixelSize: Theme.fontMd
    hoverEnabled: true

    delegate: ItemDelegate {
        width: ListView.view.width
        text: control.textRole ? (Array.isArray(control.model) ? modelData[control.textRole] : model[control.textRole]) : modelData
        font.weight: control.currentIndex === index ? Font.DemiBold : Font.Normal
        highlighted: control.highlightedIndex === index
    }

    indicator: Shape {
        x: control.width - width - 12
        y: (control.height - height) / 2
        width: 10; height: 6
        opacity: control.enabled ? 1 : 0.4
        antialiasing: true
        ShapePath {
            strokeColor: Theme.textDim
            strokeWidth: 1.6
            fillColor: "transparent"
            capStyle: ShapePath.RoundCap
            joinStyle: ShapePath.RoundJoin
            PathSvg { path: "M1 1 L5 5 L9 1" }
        }
    }

    contentItem: Text {
        text: control.displayText
        font: control.font
        color: control.enabled ? Theme.text : Theme.textFaint
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
    }

    background: Rectangle {
        implicitWidth: 140
        implicitHeight: 34
        radius: 6
        color: control.down ? Theme.surface : control.hovered && control.enabled ? Theme.surfaceHover : Theme.surfaceRaised
        border.color: control.visualFocus || control.popup.visible ? Theme.accent : Theme.borderStrong
        opacity: control.enabled ? 1 : 0.6
    }

    popup: T.Popup {
        y: control.height + 4
        width: Math.max(control.width, 200)
        implicitHeight: Math.min(contentItem.implicitHeight + 8, 360)
        padding: 4
        contentItem: ListView {
            clip: true
            implicitHeight: contentHeight
            model: control.delegateModel
            currentIndex: control.highlightedIndex
            highlightMoveDuration: 0
        }
        background: Rectangle {
            radius: 8
            color: Theme.surfaceRaised
            border.color: Theme.borderStrong
        }
    }
}
