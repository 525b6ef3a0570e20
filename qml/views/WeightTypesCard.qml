import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// How the weights' bytes divide among tensor types.
Card {
    id: root
    required property ModelController mc
    objectName: "weightTypesCard"
    title: qsTr("Weights by type")
    icon: "compress"

    ColumnLayout {
        width: parent.width
        spacing: 12

        RowLayout {
            spacing: 18
            ColumnLayout {
                spacing: 2
                SectionLabel { text: qsTr("Weights") }
                Text { text: Fmt.bytes(root.mc.weightBytes); color: Theme.text; font.pixelSize: Theme.fontXl; font.family: Theme.mono }
            }
            ColumnLayout {
                spacing: 2
                SectionLabel { text: qsTr("Bits / weight") }
                Text {
                    text: root.mc.paramCount > 0 ? (8 * root.mc.weightBytes / root.mc.paramCount).toFixed(2) : "–"
                    color: Theme.text
                    font.pixelSize: Theme.fontXl
                    font.family: Theme.mono
                }
            }
        }

        Repeater {
            model: root.mc.weightTypes
            RowLayout {
                required property var modelData
                Layout.fillWidth: true
                spacing: 8
                TypeChip { type: modelData.type; Layout.preferredWidth: 52 }
                Item {  // the type's share of the weights
                    Layout.fillWidth: true
                    implicitHeight: 6
                    Rectangle { anchors.fill: parent; radius: 3; color: Theme.surfaceRaised }
                    Rectangle {
                        width: Math.max(2, parent.width * modelData.share)
                        height: parent.height
                        radius: 3
                        color: Theme.typeColor(modelData.type)
                    }
                }
                Text {
                    text: Fmt.bytes(modelData.bytes)
                    color: Theme.text
                    font.pixelSize: Theme.fontSm
                    font.family: Theme.mono
                    Layout.preferredWidth: 74
                    horizontalAlignment: Text.AlignRight
                }
            }
        }

        // Bytes per layer: uniform for one type, uneven for mixes such as Q4_K_M.
        ColumnLayout {
            visible: root.mc.layerBytes.length > 0
            Layout.fillWidth: true
            Layout.topMargin: 4
            spacing: 6
            SectionLabel { text: qsTr("Bytes per layer") }
            Item {
                id: layerChart
                objectName: "layerBytesChart"
                Layout.fillWidth: true
                implicitHeight: 44
                readonly property var values: root.mc.layerBytes
                readonly property real maxValue: Math.max.apply(null, values.concat([1]))
                Row {
                    anchors.fill: parent
                    spacing: layerChart.values.length > 40 ? 1 : 2
                    Repeater {
                        model: layerChart.values
                        Rectangle {
                            required property real modelData
                            required property int index
                            width: Math.max(1, (layerChart.width - (layerChart.values.length - 1) * parent.spacing) / layerChart.values.length)
                            height: Math.max(2, layerChart.height * modelData / layerChart.maxValue)
                            anchors.bottom: parent.bottom
                            radius: 1
                            color: Theme.accent
                            opacity: 0.45 + 0.55 * modelData / layerChart.maxValue
                        }
                    }
                }
            }
            RowLayout {
                Layout.fillWidth: true
                Text { text: qsTr("layer 0"); color: Theme.textFaint; font.pixelSize: Theme.fontXs }
                Item { Layout.fillWidth: true }
                Text { text: qsTr("layer %1").arg(root.mc.layerBytes.length - 1); color: Theme.textFaint; font.pixelSize: Theme.fontXs }
            }
        }
    }
}
