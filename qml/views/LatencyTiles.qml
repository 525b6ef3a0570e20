import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// The run's latencies: time to first token, time per output token (p50, p90, p99),
// prompt and decode speed, and how much of the wall time the ops account for.
RowLayout {
    id: root
    required property ProfileController pc
    readonly property var l: pc.latency
    objectName: "latencyTiles"
    spacing: Theme.gap

    StatTile { objectName: "ttftTile"; Layout.fillWidth: true; label: qsTr("TTFT"); value: Fmt.ms(root.l.ttftMs || 0); hint: qsTr("%1 prompt tokens").arg(root.l.nPrompt || 0) }
    StatTile { Layout.fillWidth: true; label: qsTr("TPOT p50"); value: Fmt.ms(root.l.tpotP50Ms || 0); hint: qsTr("mean %1").arg(Fmt.ms(root.l.tpotMeanMs || 0)) }
    StatTile { Layout.fillWidth: true; label: qsTr("TPOT p90"); value: Fmt.ms(root.l.tpotP90Ms || 0) }
    StatTile { Layout.fillWidth: true; label: qsTr("TPOT p99"); value: Fmt.ms(root.l.tpotP99Ms || 0); hint: qsTr("%1 decode steps").arg(root.l.nDecode || 0) }
    StatTile { Layout.fillWidth: true; label: qsTr("Prefill"); value: Fmt.rate(root.l.prefillTps || 0); unit: qsTr("tok/s"); tint: Theme.teal }
    StatTile { objectName: "decodeTile"; Layout.fillWidth: true; label: qsTr("Decode"); value: Fmt.rate(root.l.decodeTps || 0); unit: qsTr("tok/s"); tint: Theme.accent }
    StatTile {
        Layout.fillWidth: true
        label: qsTr("Accounted")
        value: ((root.l.accounted || 0) * 100).toFixed(1)
        unit: "%"
        hint: qsTr("worst step %1 %").arg(((root.l.accountedWorst || 0) * 100).toFixed(1))
        tint: (root.l.accounted || 0) > 0.9 ? Theme.success : Theme.amber
    }
}
