import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// First run: write a model with a real architecture's shapes and random weights
// (as `pareto-cli synth`), then open it. Its text is noise; its speed and memory
// are those of the real model.
Card {
    id: root
    required property Workbench workbench
    readonly property DemoModelController demo: workbench.demo
    objectName: "demoModelCard"
    padding: 22

    readonly property var presetNames: demo.presets.map(p => p.name)
    readonly property var current: demo.presets[Math.max(0, presetNames.indexOf(demo.preset))]

    implicitHeight: layout.implicitHeight + 2 * padding

    ColumnLayout {
        id: layout
        anchors.fill: parent
        spacing: 14
        Rectangle {
            width: 44; height: 44; radius: 10
            color: Qt.rgba(0.25, 0.82, 0.66, 0.16)
            Icon { anchors.centerIn: parent; name: "spark"; size: 22; color: Theme.teal }
        }
        Text { text: qsTr("Create a demo model"); color: Theme.text; font.pixelSize: Theme.fontXl; font.weight: Font.DemiBold }
        Text {
            Layout.fillWidth: true
            text: qsTr("The shapes of a real model with random weights: its speed and memory are the real model's, its text is noise. Nothing to download.")
            color: Theme.textDim
            font.pixelSize: Theme.fontMd
            wrapMode: Text.Wrap
            lineHeight: 1.2
        }

        GridLayout {
            Layout.fillWidth: true
            columns: 2
            columnSpacing: 12
            rowSpacing: 4
            SectionLabel { text: qsTr("Architecture") }
            SectionLabel { text: qsTr("Weights") }
            ComboBox {
                id: presetBox
                objectName: "demoPreset"
                Layout.fillWidth: true
                enabled: !root.demo.running
                model: root.demo.presets
                textRole: "description"
                currentIndex: Math.max(0, root.presetNames.indexOf(root.demo.preset))
                onActivated: (i) => root.demo.preset = root.presetNames[i]
            }
            ComboBox {
                objectName: "demoType"
                Layout.preferredWidth: 120
                enabled: !root.demo.running
                model: root.demo.types
                currentIndex: Math.max(0, root.demo.types.indexOf(root.demo.type))
                onActivated: (i) => root.demo.type = root.demo.types[i]
            }
        }

        Text {
            objectName: "demoSummary"
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.textDim
            font.pixelSize: Theme.fontSm
            text: root.current
                  ? qsTr("%1 · %2 layers · hidden %3 · %4 heads (KV %5) · vocab %6").arg(root.current.arch).arg(root.current.layers)
                        .arg(root.current.hidden).arg(root.current.heads).arg(root.current.kvHeads).arg(root.current.vocab)
                    + (root.demo.plannedBytes > 0 ? qsTr(" · %1 params, %2 file").arg(Fmt.count(root.demo.plannedParams)).arg(Fmt.bytes(root.demo.plannedBytes))
                                                  : qsTr(" · sizing…"))
                  : ""
        }
        Text {
            Layout.fillWidth: true
            text: root.demo.outputPath
            color: Theme.textFaint
            font.pixelSize: Theme.fontXs
            font.family: Theme.mono
            elide: Text.ElideMiddle
        }
        Banner { Layout.fillWidth: true; text: root.demo.error; closable: false }

        Item { Layout.fillHeight: true }

        ColumnLayout {
            visible: root.demo.running
            Layout.fillWidth: true
            spacing: 6
            ProgressBar {
                objectName: "demoProgress"
                Layout.fillWidth: true
                value: Math.max(0, root.demo.progress)
                indeterminate: root.demo.progress <= 0
            }
            RowLayout {
                Layout.fillWidth: true
                Text {
                    text: root.demo.stage
                    color: Theme.textDim
                    font.pixelSize: Theme.fontXs
                    font.family: Theme.mono
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Text { text: Math.round(100 * Math.max(0, root.demo.progress)) + " %"; color: Theme.text; font.pixelSize: Theme.fontXs }
            }
        }
        RowLayout {
            Layout.fillWidth: true
            Button {
                objectName: "createDemoButton"
                Layout.fillWidth: true
                text: root.demo.running ? qsTr("Creating…") : qsTr("Create and open")
                enabled: !root.demo.running
                onClicked: root.demo.create()
            }
            Button {
                visible: root.demo.running
                text: qsTr("Cancel")
                flat: true
                onClicked: root.demo.cancel()
            }
        }
    }
}
