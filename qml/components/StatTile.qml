import QtQuick
import QtQuick.Layouts
import Pareto.Theme
import Pareto.Bridge

// One live number: a label, a value, its unit, and an optional hint below.
Rectangle {
    id: root
    property string label
    property string value: "–"
    property string unit
    property string hint
    property color tint: Theme.text
    property real valueSize: Theme.fontXl

    implicitWidth: 150
    implicitHeight: column.implicitHeight + 20
    radius: Theme.radius
    color: Theme.surfaceRaised
    border.color: Theme.border

    ColumnLayout {
        id: column
        anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: 12 }
        spacing: 2
        SectionLabel { text: root.label; Layout.fillWidth: true; elide: Text.ElideRight }
        Row {
            spacing: 4
            Text {
                id: valueText
                objectName: "statValue"
                text: root.value
                color: root.tint
                font.pixelSize: root.valueSize
                font.weight: Font.DemiBold
                font.family: Theme.mono
            }
            Text {
                visible: root.unit !== ""
                text: root.unit
                color: Theme.textDim
                font.pixelSize: Theme.fontSm
                anchors.baseline: valueText.baseline
            }
        }
        Text {
            visible: root.hint !== ""
            text: root.hint
            color: Theme.textFaint
            font.pixelSize: Theme.fontXs
            Layout.fillWidth: true
            elide: Text.ElideRight
        }
    }
}
