import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// The run's accuracy record, when it has one (pareto-cli eval --trace): perplexity,
// and against the baseline KL divergence and top-token agreement.
Card {
    id: root
    required property ProfileController pc
    readonly property var a: pc.accuracy
    readonly property bool has: a.ppl !== undefined
    objectName: "accuracyPanel"
    title: qsTr("Accuracy")
    subtitle: has ? (a.text || "") : ""
    implicitHeight: 124
    Text {
        visible: !root.has
        anchors.fill: parent
        text: qsTr("This run has no accuracy record. <font face='DejaVu Sans Mono'>pareto-cli eval --trace</font> measures perplexity and KL divergence against a baseline and stores them as a run.")
        textFormat: Text.StyledText
        color: Theme.textFaint
        font.pixelSize: Theme.fontSm
        wrapMode: Text.Wrap
    }
    GridLayout {
        visible: root.has
        anchors { left: parent.left; right: parent.right; top: parent.top }
        columns: 4
        columnSpacing: Theme.gap
        rowSpacing: 6
        StatTile { Layout.fillWidth: true; label: qsTr("Perplexity"); value: root.has ? root.a.ppl.toFixed(3) : "–"; hint: root.has ? "± " + root.a.pplError.toFixed(3) : "" }
        StatTile { Layout.fillWidth: true; label: qsTr("Baseline PPL"); value: root.a.hasBaseline ? root.a.basePpl.toFixed(3) : "–" }
        StatTile { Layout.fillWidth: true; label: qsTr("KL mean"); value: root.a.hasBaseline ? root.a.klMean.toPrecision(3) : "–"; hint: root.a.hasBaseline ? qsTr("p99 %1").arg(root.a.klP99.toPrecision(3)) : "" }
        StatTile { Layout.fillWidth: true; label: qsTr("Same top token"); value: root.a.hasBaseline ? (root.a.sameTop * 100).toFixed(1) : "–"; unit: root.a.hasBaseline ? "%" : "" }
    }
}
