import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// The sampler's settings, in the order the engine applies them (repetition
// penalty, top-k, top-p, min-p, temperature, then a seeded draw), and the length.
Rectangle {
    id: root
    required property Generator generator
    objectName: "samplerPanel"
    radius: Theme.radius
    color: Theme.surface
    border.color: Theme.border

    Flickable {
        anchors { fill: parent; margins: Theme.pad }
        contentHeight: column.implicitHeight
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ColumnLayout {
            id: column
            width: parent.width
            spacing: 14
            enabled: !root.generator.running

            RowLayout {
                Layout.fillWidth: true
                Icon { name: "compress"; size: 16 }
                Text { text: qsTr("Sampling"); color: Theme.text; font.pixelSize: Theme.fontLg; font.weight: Font.DemiBold; Layout.fillWidth: true }
                Text {
                    objectName: "resetSampler"
                    text: qsTr("Defaults")
                    color: Theme.accent
                    font.pixelSize: Theme.fontSm
                    MouseArea { anchors.fill: parent; cursorShape: Qt.PointingHandCursor; onClicked: root.generator.resetSampler() }
                }
            }

            LabeledSlider {
                objectName: "temperatureSlider"
                Layout.fillWidth: true
                label: qsTr("Temperature")
                hint: qsTr("0 is greedy: always the most likely token")
                from: 0; to: 2; stepSize: 0.05
                value: root.generator.temperature
                offValue: 0; offText: qsTr("greedy")
                onMoved: (v) => root.generator.temperature = v
            }
            LabeledSlider {
                objectName: "topKSlider"
                Layout.fillWidth: true
                label: qsTr("Top-k")
                hint: qsTr("Keep the k most likely tokens")
                from: 0; to: 200; stepSize: 1
                decimals: 0
                value: root.generator.topK
                offValue: 0; offText: qsTr("off")
                onMoved: (v) => root.generator.topK = Math.round(v)
            }
            LabeledSlider {
                objectName: "topPSlider"
                Layout.fillWidth: true
                label: qsTr("Top-p")
                hint: qsTr("Keep the most likely tokens that together hold probability p")
                from: 0.05; to: 1; stepSize: 0.01
                value: root.generator.topP
                offValue: 1; offText: qsTr("off")
                onMoved: (v) => root.generator.topP = v
            }
            LabeledSlider {
                objectName: "minPSlider"
                Layout.fillWidth: true
                label: qsTr("Min-p")
                hint: qsTr("Drop tokens less likely than p times the best one")
                from: 0; to: 0.5; stepSize: 0.01
                value: root.generator.minP
                offValue: 0; offText: qsTr("off")
                onMoved: (v) => root.generator.minP = v
            }
            LabeledSlider {
                objectName: "repeatPenaltySlider"
                Layout.fillWidth: true
                label: qsTr("Repeat penalty")
                hint: qsTr("Discourage tokens seen in the last %1").arg(root.generator.repeatLastN)
                from: 1; to: 2; stepSize: 0.01
                value: root.generator.repeatPenalty
                offValue: 1; offText: qsTr("off")
                onMoved: (v) => root.generator.repeatPenalty = v
            }

            Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }

            ColumnLayout {
                Layout.fillWidth: true
                spacing: 4
                Text { text: qsTr("Max new tokens"); color: Theme.textDim; font.pixelSize: Theme.fontSm }
                SpinBox {
                    objectName: "nPredictBox"
                    Layout.fillWidth: true
                    from: 1; to: 65536
                    stepSize: 16
                    editable: true
                    value: root.generator.nPredict
                    onValueModified: root.generator.nPredict = value
                }
            }
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 4
                RowLayout {
                    Layout.fillWidth: true
                    Text { text: qsTr("Seed"); color: Theme.textDim; font.pixelSize: Theme.fontSm; Layout.fillWidth: true }
                    CheckBox {
                        objectName: "randomSeed"
                        text: qsTr("new each run")
                        checked: root.generator.randomSeed
                        onToggled: root.generator.randomSeed = checked
                    }
                }
                TextField {
                    objectName: "seedField"
                    Layout.fillWidth: true
                    enabled: !root.generator.randomSeed
                    text: String(root.generator.seed)
                    font.family: Theme.mono
                    validator: IntValidator { bottom: 0; top: 2147483647 }
                    onEditingFinished: root.generator.seed = parseInt(text)
                }
                Text {
                    visible: root.generator.lastSeed >= 0
                    text: qsTr("last run: seed %1").arg(root.generator.lastSeed)
                    color: Theme.textFaint
                    font.pixelSize: Theme.fontXs
                    font.family: Theme.mono
                }
            }
        }
    }
}
