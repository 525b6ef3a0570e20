import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Theme
import Pareto.Bridge

// A sampler setting: name, current value, a slider, and what "off" means.
ColumnLayout {
    id: root
    property string label
    property string hint
    property alias from: slider.from
    property alias to: slider.to
    property alias stepSize: slider.stepSize
    property real value
    property int decimals: 2
    property string offText          // shown instead of the number at `offValue`
    property real offValue: NaN
    signal moved(real value)
    spacing: 0

    RowLayout {
        Layout.fillWidth: true
        Text {
            text: root.label
            color: Theme.textDim
            font.pixelSize: Theme.fontSm
            Layout.fillWidth: true
            ToolTip.visible: hintArea.containsMouse && root.hint !== ""
            ToolTip.text: root.hint
            ToolTip.delay: 500
            MouseArea { id: hintArea; anchors.fill: parent; hoverEnabled: true; acceptedButtons: Qt.NoButton }
        }
        Text {
            objectName: "sliderValue"
            text: root.offText !== "" && Math.abs(root.value - root.offValue) < 1e-6 ? root.offText
                                                                                     : root.value.toFixed(root.decimals)
            color: Theme.text
            font.pixelSize: Theme.fontSm
            font.family: Theme.mono
        }
    }
    Slider {
        id: slider
        Layout.fillWidth: true
        value: root.value
        onMoved: root.moved(value)
    }
}
