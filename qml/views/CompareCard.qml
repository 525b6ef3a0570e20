import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// Runs A and B side by side: ms per token by op kind and by layer, B − A and B / A
// (below 1: B is faster), for prefill or decode.
Card {
    id: root
    required property RunsController rc
    implicitHeight: 360  // sized by the page's layout; the contents fill it
    readonly property var c: rc.comparison
    objectName: "compareCard"
    title: qsTr("A vs B")
    subtitle: rc.hasComparison
              ? qsTr("ms per token · %1 → %2 · total %3×").arg(c.a).arg(c.b).arg(c.ratio.toFixed(2))
              : qsTr("pick two runs in the table")
    headerExtra: [
        Repeater {
            model: [qsTr("Prefill"), qsTr("Decode")]
            Chip {
                required property string modelData
                required property int index
                text: modelData
                tint: root.rc.comparePhase === index ? Theme.accent : Theme.textFaint
                strong: root.rc.comparePhase === index
                MouseArea { anchors.fill: parent; cursorShape: Qt.PointingHandCursor; onClicked: root.rc.comparePhase = index }
            }
        }
    ]
    RowLayout {
        anchors.fill: parent
        spacing: Theme.gap
        visible: root.rc.hasComparison
        CompareTable { objectName: "compareByKind"; Layout.fillWidth: true; Layout.preferredWidth: 1; Layout.fillHeight: true; heading: qsTr("Op kind"); boldLastRow: true; model: root.rc.kindCompare }
        CompareTable { objectName: "compareByLayer"; Layout.fillWidth: true; Layout.preferredWidth: 1; Layout.fillHeight: true; heading: qsTr("Layer"); model: root.rc.layerCompare }
    }
    Text {
        visible: !root.rc.hasComparison
        anchors.centerIn: parent
        text: qsTr("Click a run for A and another for B.")
        color: Theme.textFaint
        font.pixelSize: Theme.fontMd
    }
}
