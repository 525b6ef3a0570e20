import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// A Generator's live numbers: time to first token, decode and prompt speed, and
// tokens/s along the run (compact, for side by side: without the prompt speed).
RowLayout {
    id: root
    required property Generator generator
    property bool compact: false
    spacing: 10

    StatTile {
        objectName: "ttftTile"
        Layout.fillWidth: true
        label: root.compact ? qsTr("TTFT") : qsTr("Time to first token")
        value: root.generator.ttftMs > 0 ? Fmt.ms(root.generator.ttftMs).split(" ")[0] : "–"
        unit: root.generator.ttftMs > 0 ? Fmt.ms(root.generator.ttftMs).split(" ")[1] : ""
        hint: root.generator.promptTokens > 0 ? qsTr("%1 prompt tok.").arg(root.generator.promptTokens) : ""
    }
    StatTile {
        objectName: "tpsTile"
        Layout.fillWidth: true
        label: root.compact ? qsTr("Decode") : qsTr("Decode speed")
        value: Fmt.rate(root.generator.tokensPerSecond)
        unit: qsTr("tok/s")
        tint: root.generator.running ? Theme.accent : Theme.text
        hint: root.generator.generatedTokens > 0 ? qsTr("%1 generated").arg(root.generator.generatedTokens) : ""
    }
    StatTile {
        objectName: "promptSpeedTile"
        visible: !root.compact
        Layout.fillWidth: true
        label: qsTr("Prompt speed")
        value: Fmt.rate(root.generator.promptTokensPerSecond)
        unit: qsTr("tok/s")
        hint: root.generator.stopReason !== "" ? qsTr("stopped: %1").arg(root.generator.stopReason) : ""
    }
    Rectangle {
        Layout.fillWidth: true
        Layout.preferredWidth: 150
        Layout.fillHeight: true
        radius: Theme.radius
        color: Theme.surfaceRaised
        border.color: Theme.border
        ColumnLayout {
            anchors { fill: parent; margins: 12 }
            spacing: 2
            SectionLabel {
                Layout.fillWidth: true
                text: root.compact ? qsTr("tokens/s") : qsTr("tokens/s over the run")
                elide: Text.ElideRight
            }
            Sparkline {
                objectName: "rateSparkline"
                Layout.fillWidth: true
                Layout.fillHeight: true
                values: root.generator.rateHistory
            }
        }
    }
}
