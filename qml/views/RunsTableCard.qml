import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// Every run of the open traces. A click picks run A, then B; a double click opens
// the run on the Profile page.
Card {
    id: root
    required property RunsController rc
    implicitHeight: 200  // sized by the page's layout; the contents fill it
    title: qsTr("%1 runs").arg(rc.runs.count)
    subtitle: qsTr("click picks A and B to compare; double-click opens a run in Profile")
    readonly property var widths: [150, 64, 150, 0, 70, 90, 90, 90, 80, 80]
    function columnWidth(c) {
        if (c !== 3) return widths[c]
        let rest = table.width
        for (let i = 0; i < widths.length; ++i) if (i !== 3) rest -= widths[i]
        return Math.max(140, rest)
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0
        Row {
            Layout.fillWidth: true
            Layout.bottomMargin: 6
            Repeater {
                model: 10
                SectionLabel {
                    required property int index
                    width: root.columnWidth(index)
                    leftPadding: 8
                    horizontalAlignment: index >= 5 ? Text.AlignRight : Text.AlignLeft
                    rightPadding: index >= 5 ? 10 : 0
                    text: root.rc.runs.columnTitle(index)
                }
            }
        }
        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }
        TableView {
            id: table
            objectName: "runsTable"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.rc.runs
            columnWidthProvider: (c) => root.columnWidth(c)
            onWidthChanged: forceLayout()
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}
            delegate: Rectangle {
                id: cell
                required property int row
                required property int column
                required property string display
                readonly property bool isA: row === root.rc.runA
                readonly property bool isB: row === root.rc.runB
                implicitHeight: 28
                color: isA ? Qt.rgba(0.48, 0.55, 1, 0.16) : isB ? Qt.rgba(0.25, 0.82, 0.66, 0.14)
                     : (row % 2 ? Theme.surface : Qt.rgba(1, 1, 1, 0.02))
                Row {
                    anchors { fill: parent; leftMargin: 8; rightMargin: 10 }
                    spacing: 6
                    Chip {
                        visible: cell.column === 0 && (cell.isA || cell.isB)
                        anchors.verticalCenter: parent.verticalCenter
                        text: cell.isA ? "A" : "B"
                        tint: cell.isA ? Theme.accent : Theme.teal
                        strong: true
                    }
                    Text {
                        width: parent.width - (cell.column === 0 && (cell.isA || cell.isB) ? 34 : 0)
                        anchors.verticalCenter: parent.verticalCenter
                        text: cell.display
                        color: cell.column === 0 ? Theme.text : Theme.textDim
                        font.pixelSize: Theme.fontSm
                        font.family: cell.column >= 5 ? Theme.mono : Theme.fontFamily
                        horizontalAlignment: cell.column >= 5 ? Text.AlignRight : Text.AlignLeft
                        elide: Text.ElideRight
                    }
                }
                MouseArea {
                    anchors.fill: parent
                    onClicked: root.rc.pick(cell.row)
                    onDoubleClicked: root.rc.showInProfile(cell.row)
                }
            }
        }
    }
}
