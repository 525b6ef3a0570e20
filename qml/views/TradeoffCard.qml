import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// The models of the open traces by size against decode speed (coloured by
// perplexity, teal lowest) and against perplexity; ringed and joined: the Pareto
// front, the models no other beats on size, speed and perplexity at once.
Card {
    id: root
    required property RunsController rc
    implicitHeight: 360  // sized by the page's layout; the contents fill it
    objectName: "tradeoffCard"
    title: qsTr("Size · speed · perplexity")
    subtitle: {
        let front = 0
        for (const p of rc.points) if (p.front) ++front
        return qsTr("%1 models, %2 on the Pareto front").arg(rc.points.length).arg(front)
    }
    ColumnLayout {
        anchors.fill: parent
        spacing: Theme.gap
        ScatterItem {
            objectName: "scatterSpeed"
            Layout.fillWidth: true
            Layout.fillHeight: true
            controller: root.rc
            metric: "speed"
        }
        ScatterItem {
            objectName: "scatterPpl"
            Layout.fillWidth: true
            Layout.fillHeight: true
            controller: root.rc
            metric: "ppl"
        }
    }
}
