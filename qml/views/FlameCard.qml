import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// One token step as a flame view: a row per layer (and one for the ops outside
// the layers), each op where it ran in the step.
Card {
    id: root
    required property ProfileController pc
    implicitHeight: 280  // sized by the page's layout; the contents fill it
    readonly property var info: pc.selectedStepInfo
    title: qsTr("Step %1").arg(info.step !== undefined ? info.step : "–")
    subtitle: info.step !== undefined
              ? qsTr("%1 · %2 · %3 ops").arg(info.tokens > 1 ? qsTr("prompt of %1 tokens").arg(info.tokens) : qsTr("%1 at %2").arg(info.phase).arg(info.pos)).arg(Fmt.ms(info.ms)).arg(info.ops)
              : ""
    headerExtra: [
        Button { text: "‹"; flat: true; enabled: root.pc.selectedStep > 0; onClicked: root.pc.selectedStep = root.pc.selectedStep - 1 },
        Button { text: "›"; flat: true; enabled: root.pc.selectedStep < root.pc.stepCount - 1; onClicked: root.pc.selectedStep = root.pc.selectedStep + 1 }
    ]
    TimelineItem {
        objectName: "flame"
        anchors.fill: parent
        controller: root.pc
        step: root.pc.selectedStep
    }
}
