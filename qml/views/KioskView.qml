import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// Kiosk mode: full screen, readable from a few steps away, large touch targets, and
// an unattended loop (KioskController) that compresses the model to one preset after
// another, generates from sample prompts on each, shows tokens per second and memory
// live, plots every preset by size and speed with the Pareto front, and recovers from
// errors by itself.
Rectangle {
    id: root
    required property Workbench workbench
    readonly property KioskController kiosk: workbench.kiosk
    readonly property Generator generator: workbench.generator
    readonly property ModelController mc: workbench.model
    readonly property SystemStatus system: workbench.system
    objectName: "kioskView"
    color: Theme.bg

    // How far the current wait (result shown / retry) has run, 0..1.
    property real waitProgress: 0
    NumberAnimation {
        id: waitAnimation
        target: root
        property: "waitProgress"
        from: 0; to: 1
        duration: Math.max(1, root.kiosk.waitMs)
    }
    Connections {
        target: root.kiosk
        function onStateChanged() {
            const waiting = root.kiosk.state === KioskController.Showing || root.kiosk.state === KioskController.Recovering
            if (waiting && !root.kiosk.paused) waitAnimation.restart()
            else waitAnimation.stop()
            if (!waiting) root.waitProgress = 0
        }
    }

    component BigButton: Rectangle {
        id: big
        property string icon
        property string label
        signal tapped()
        implicitWidth: 150
        implicitHeight: 72
        radius: 18
        color: tap.pressed ? Theme.surfaceHover : Theme.surfaceRaised
        border.color: Theme.borderStrong
        Row {
            anchors.centerIn: parent
            spacing: 12
            Icon { name: big.icon; size: 26; color: Theme.text; filled: big.icon === "play" || big.icon === "next"; anchors.verticalCenter: parent.verticalCenter }
            Text { text: big.label; color: Theme.text; font.pixelSize: 22; font.weight: Font.Medium; anchors.verticalCenter: parent.verticalCenter }
        }
        MouseArea { id: tap; anchors.fill: parent; onClicked: big.tapped() }
    }

    ColumnLayout {
        anchors { fill: parent; margins: 40; topMargin: 32 }
        spacing: 24

        RowLayout {  // who we are, what runs, the two controls
            Layout.fillWidth: true
            spacing: 18
            Rectangle {
                width: 56; height: 56; radius: 14
                gradient: Gradient {
                    orientation: Gradient.Horizontal
                    GradientStop { position: 0; color: Theme.accent }
                    GradientStop { position: 1; color: Theme.teal }
                }
                Icon { anchors.centerIn: parent; name: "pareto"; size: 36; color: "#0e1015"; lineWidth: 2.4 }
            }
            ColumnLayout {
                spacing: 2
                Layout.fillWidth: true
                Text { text: "Pareto"; color: Theme.text; font.pixelSize: 34; font.weight: Font.Bold }
                Text {
                    Layout.fillWidth: true
                    text: qsTr("A language model running on this device")
                    color: Theme.textDim
                    font.pixelSize: 18
                    elide: Text.ElideRight
                }
            }
            ColumnLayout {
                spacing: 4
                Layout.maximumWidth: 520
                Text {
                    objectName: "kioskModel"
                    Layout.maximumWidth: 520
                    elide: Text.ElideMiddle
                    Layout.alignment: Qt.AlignRight
                    text: root.mc.hasInfo ? root.mc.displayName : "–"
                    color: Theme.text
                    font.pixelSize: 22
                    font.weight: Font.DemiBold
                }
                Text {
                    Layout.alignment: Qt.AlignRight
                    text: root.mc.hasInfo
                          ? qsTr("%1 · %2 layers · %3 params · SIMD %4").arg(root.mc.architecture.arch).arg(root.mc.architecture.layers)
                                .arg(Fmt.count(root.mc.paramCount)).arg(root.system.simd)
                          : ""
                    color: Theme.textDim
                    font.pixelSize: 16
                }
            }
            BigButton {
                objectName: "kioskPause"
                icon: root.kiosk.paused ? "play" : "pause"
                label: root.kiosk.paused ? qsTr("Resume") : qsTr("Pause")
                onTapped: root.kiosk.paused ? root.kiosk.resume() : root.kiosk.pause()
            }
            BigButton {
                objectName: "kioskNext"
                icon: "next"
                label: qsTr("Next")
                onTapped: root.kiosk.next()
            }
        }

        RowLayout {  // the story on the left, the presets and their chart on the right
        Layout.fillWidth: true
        Layout.fillHeight: true
        spacing: 24

        // The prompt and the text streaming out of the model.
        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            radius: 20
            color: Theme.surface
            border.color: Theme.border

            Flickable {
                id: flick
                anchors { fill: parent; margins: 32 }
                contentHeight: story.implicitHeight
                clip: true
                interactive: false
                onContentHeightChanged: contentY = Math.max(0, contentHeight - height)
                Text {
                    id: story
                    objectName: "kioskText"
                    width: flick.width
                    wrapMode: Text.Wrap
                    textFormat: Text.StyledText
                    font.pixelSize: 30
                    lineHeight: 1.3
                    color: Theme.text
                    function html(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\n/g, "<br>") }
                    text: "<font color='" + Theme.accent + "'>" + html(root.kiosk.prompt) + "</font>"
                          + html(root.generator.text)
                          + (root.generator.running ? "<font color='" + Theme.teal + "'> ▍</font>" : "")
                }
            }

            // Preparing: opening, loading or creating the model; or compressing it.
            Column {
                anchors.centerIn: parent
                visible: root.kiosk.state === KioskController.Preparing || root.kiosk.state === KioskController.Compressing
                spacing: 18
                BusyIndicator { anchors.horizontalCenter: parent.horizontalCenter; running: parent.visible; width: 72; height: 72 }
                Text {
                    anchors.horizontalCenter: parent.horizontalCenter
                    text: root.kiosk.message
                    color: Theme.text
                    font.pixelSize: 24
                }
                ProgressBar {
                    anchors.horizontalCenter: parent.horizontalCenter
                    width: 420
                    readonly property bool compressing: root.kiosk.state === KioskController.Compressing
                    visible: compressing || root.mc.state === ModelController.Loading || root.workbench.demo.running
                    value: compressing ? root.workbench.compressor.progress
                           : root.workbench.demo.running ? root.workbench.demo.progress : Math.max(0, root.mc.progress)
                    indeterminate: !compressing && !root.workbench.demo.running && root.mc.progress < 0
                }
            }
        }

        Rectangle {  // the compression presets in turn, and where each lands
            objectName: "kioskPresets"
            visible: root.kiosk.presets.length > 0
            Layout.preferredWidth: Math.min(620, root.width * 0.38)
            Layout.fillHeight: true
            radius: 20
            color: Theme.surface
            border.color: Theme.border
            ColumnLayout {
                anchors { fill: parent; margins: 24 }
                spacing: 16
                Text {
                    text: qsTr("Compression")
                    color: Theme.text
                    font.pixelSize: 24
                    font.weight: Font.DemiBold
                }
                Flow {
                    Layout.fillWidth: true
                    spacing: 10
                    Repeater {
                        model: root.kiosk.presets
                        Rectangle {
                            required property int index
                            required property string modelData
                            readonly property bool current: index === root.kiosk.presetIndex
                            objectName: current ? "kioskCurrentPreset" : ""
                            width: presetLabel.implicitWidth + 32
                            height: 48
                            radius: 24
                            color: current ? Theme.accentSoft : Theme.surfaceRaised
                            border.color: current ? Theme.accent : Theme.border
                            Text {
                                id: presetLabel
                                anchors.centerIn: parent
                                text: parent.modelData
                                color: parent.current ? Theme.text : Theme.textDim
                                font.pixelSize: 20
                                font.weight: parent.current ? Font.DemiBold : Font.Normal
                            }
                        }
                    }
                }
                Text {
                    Layout.fillWidth: true
                    text: root.kiosk.state === KioskController.Compressing
                          ? root.kiosk.message + " · " + Math.round(100 * root.workbench.compressor.progress) + " %"
                          : qsTr("Each preset is the same model compressed in memory; the ringed points are the Pareto front: none smaller and faster.")
                    color: root.kiosk.state === KioskController.Compressing ? Theme.accent : Theme.textDim
                    font.pixelSize: 16
                    wrapMode: Text.Wrap
                }
                ScatterItem {
                    objectName: "kioskChart"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    kiosk: root.kiosk
                    metric: "speed"
                }
            }
        }
        }

        // Recovering from an error: what happened, and that it carries on by itself.
        Rectangle {
            objectName: "kioskError"
            Layout.fillWidth: true
            visible: root.kiosk.state === KioskController.Recovering
            implicitHeight: visible ? errorRow.implicitHeight + 28 : 0
            radius: 14
            color: Theme.dangerSoft
            border.color: Theme.danger
            RowLayout {
                id: errorRow
                anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: 20 }
                spacing: 16
                Icon { name: "alert"; size: 28; color: Theme.danger }
                Text {
                    Layout.fillWidth: true
                    text: root.kiosk.message
                    color: Theme.text
                    font.pixelSize: 20
                    wrapMode: Text.Wrap
                    maximumLineCount: 3
                    elide: Text.ElideRight
                }
                Text {
                    text: qsTr("retrying in %1 s").arg(Math.ceil(root.kiosk.waitMs * (1 - root.waitProgress) / 1000))
                    color: Theme.textDim
                    font.pixelSize: 18
                }
            }
        }

        RowLayout {  // the numbers
            Layout.fillWidth: true
            spacing: 18
            StatTile {
                objectName: "kioskTps"
                Layout.fillWidth: true
                label: qsTr("Tokens per second")
                value: Fmt.rate(root.generator.tokensPerSecond)
                valueSize: 48
                tint: Theme.accent
                hint: root.generator.generatedTokens > 0 ? qsTr("%1 tokens").arg(root.generator.generatedTokens) : " "
            }
            StatTile {
                Layout.fillWidth: true
                label: qsTr("First token after")
                value: root.generator.ttftMs > 0 ? Fmt.ms(root.generator.ttftMs) : "–"
                valueSize: 48
                hint: root.generator.promptTokens > 0 ? qsTr("%1 prompt tokens").arg(root.generator.promptTokens) : " "
            }
            StatTile {
                objectName: "kioskMemory"
                Layout.fillWidth: true
                label: qsTr("Memory in use")
                value: Fmt.bytes(root.system.rssBytes)
                valueSize: 48
                tint: Theme.teal
                hint: qsTr("peak %1").arg(Fmt.bytes(root.system.peakRssBytes))
            }
            StatTile {
                objectName: "kioskWeights"
                Layout.fillWidth: true
                readonly property real bytes: root.kiosk.modelBytes > 0 ? root.kiosk.modelBytes : root.mc.weightBytes
                label: root.kiosk.preset !== "" ? qsTr("Weights · %1").arg(root.kiosk.preset) : qsTr("Model weights")
                value: Fmt.bytes(bytes)
                valueSize: 48
                hint: root.mc.paramCount > 0 ? qsTr("%1 bits per weight").arg((8 * bytes / root.mc.paramCount).toFixed(1)) : " "
            }
            StatTile {
                Layout.preferredWidth: 210
                label: qsTr("Story")
                value: String(root.kiosk.cycles + (root.generator.running ? 1 : 0))
                valueSize: 48
                hint: root.kiosk.errors > 0 ? qsTr("%1 recovered errors").arg(root.kiosk.errors) : qsTr("prompt %1 of %2").arg(root.kiosk.promptIndex + 1).arg(root.kiosk.prompts.length)
            }
        }

        Rectangle {  // time left before the next prompt
            Layout.fillWidth: true
            height: 6
            radius: 3
            color: Theme.surfaceRaised
            Rectangle {
                height: parent.height
                radius: 3
                width: parent.width * root.waitProgress
                color: root.kiosk.state === KioskController.Recovering ? Theme.danger : Theme.accent
            }
        }
    }
}
