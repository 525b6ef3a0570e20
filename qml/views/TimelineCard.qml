import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// Every token step and its ops over the run's time; a click picks the step the
// flame view shows.
Card {
    id: root
    required property ProfileController pc
    implicitHeight: 190  // sized by the page's layout; the contents fill it
    title: qsTr("Timeline")
    subtitle: qsTr("%1 ops in %2 steps · wheel zooms, drag pans, double-click shows all, a click picks the step below")
              .arg(root.pc.opCount).arg(root.pc.stepCount)
    icon: "profile"
    headerExtra: [
        Text {
            text: timeline.viewSpanMs < timeline.fullSpanMs ? qsTr("%1 of %2 shown").arg(Fmt.ms(timeline.viewSpanMs)).arg(Fmt.ms(timeline.fullSpanMs)) : Fmt.ms(timeline.fullSpanMs)
            color: Theme.textDim
            font.pixelSize: Theme.fontSm
            font.family: Theme.mono
        }
    ]
    TimelineItem {
        id: timeline
        objectName: "timeline"
        anchors.fill: parent
        controller: root.pc
        step: -1
        onStepClicked: (s) => root.pc.selectedStep = s
    }
}
