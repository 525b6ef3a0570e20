import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// What the model will take in memory at the context chosen with the slider:
// weights + KV cache + scratch, against the memory available. Shown before loading;
// the context chosen here is the one the model is loaded with.
Card {
    id: root
    required property ModelController mc
    readonly property var mem: mc.memory
    objectName: "memoryCard"
    title: qsTr("Memory estimate")
    subtitle: mc.loaded ? qsTr("loaded at %1 tokens").arg(mc.loadedContext) : qsTr("before loading")
    icon: "memory"

    // Slider stops: powers of two up to the trained context, and that context.
    readonly property var stops: {
        const s = []
        for (let c = 16; c < mc.contextMax; c *= 2) s.push(c)
        s.push(mc.contextMax)
        return s
    }
    function stopIndex(ctx) {
        let best = 0
        for (let i = 0; i < stops.length; ++i)
            if (Math.abs(stops[i] - ctx) < Math.abs(stops[best] - ctx)) best = i
        return best
    }

    ColumnLayout {
        width: parent.width
        spacing: 14

        RowLayout {
            spacing: 10
            Text {
                objectName: "memoryTotal"
                text: Fmt.bytes(root.mem.total || 0)
                color: Theme.text
                font.pixelSize: Theme.fontXxl
                font.weight: Font.DemiBold
                font.family: Theme.mono
            }
            Text {
                text: qsTr("at %1 tokens of context").arg(root.mc.contextLength)
                color: Theme.textDim
                font.pixelSize: Theme.fontMd
                Layout.alignment: Qt.AlignBaseline
            }
        }

        MemoryBar {
            Layout.fillWidth: true
            capacity: root.mem.available || 0
            segments: [
                { label: qsTr("Weights"), bytes: root.mem.weights || 0, color: Theme.memWeights },
                { label: qsTr("KV cache"), bytes: root.mem.kvCache || 0, color: Theme.memKv },
                { label: qsTr("Scratch"), bytes: root.mem.scratch || 0, color: Theme.memScratch },
            ]
        }

        ColumnLayout {
            Layout.fillWidth: true
            spacing: 0
            RowLayout {
                Layout.fillWidth: true
                Text { text: qsTr("Context length"); color: Theme.textDim; font.pixelSize: Theme.fontSm; Layout.fillWidth: true }
                Text {
                    text: qsTr("%1 tokens").arg(root.mc.contextLength)
                    color: Theme.text
                    font.pixelSize: Theme.fontSm
                    font.family: Theme.mono
                }
            }
            Slider {
                id: ctxSlider
                objectName: "contextSlider"
                Layout.fillWidth: true
                from: 0
                to: root.stops.length - 1
                stepSize: 1
                snapMode: Slider.SnapAlways
                value: root.stopIndex(root.mc.contextLength)
                onMoved: root.mc.contextLength = root.stops[Math.round(value)]
            }
            RowLayout {
                Layout.fillWidth: true
                Text { text: "16"; color: Theme.textFaint; font.pixelSize: Theme.fontXs }
                Item { Layout.fillWidth: true }
                Text { text: qsTr("%1 (trained)").arg(root.mc.contextMax); color: Theme.textFaint; font.pixelSize: Theme.fontXs }
            }
        }

        RowLayout {
            spacing: 8
            Icon {
                name: root.mem.fits === false ? "alert" : "check"
                color: root.mem.fits === false ? Theme.danger : Theme.success
                size: 16
            }
            Text {
                objectName: "memoryFit"
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                color: root.mem.fits === false ? Theme.danger : Theme.textDim
                font.pixelSize: Theme.fontSm
                text: !(root.mem.available > 0) ? qsTr("Available memory unknown")
                    : root.mem.fits ? qsTr("Fits: %1 available").arg(Fmt.bytes(root.mem.available))
                                    : qsTr("Needs %1 more than the %2 available")
                                          .arg(Fmt.bytes(root.mem.total - root.mem.available)).arg(Fmt.bytes(root.mem.available))
            }
        }

        Button {
            objectName: "applyContextButton"
            visible: root.mc.loaded && root.mc.contextLength !== root.mc.loadedContext
            text: qsTr("Use %1 tokens (new session)").arg(root.mc.contextLength)
            onClicked: root.mc.load()
        }

        Text {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.textFaint
            font.pixelSize: Theme.fontXs
            text: qsTr("KV cache: F32 keys and values, 2 × %1 layers × context × %2 values. Scratch: activations for a %3-thread batch of 512 tokens.")
                  .arg(root.mc.architecture.layers || 0)
                  .arg((root.mc.architecture.kvHeads || 0) * (root.mc.architecture.headDim || 0))
                  .arg(root.mem.threads || 0)
        }
    }
}
