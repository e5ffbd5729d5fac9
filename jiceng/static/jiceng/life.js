// The meeting form (life/form.html). Loaded with `defer`; no inline scripts (CSP script-src 'self').
// Without this script the form still works: every part is shown and the server judges everything.
//
//   [data-life-form]              the form
//   [data-life-votes]             vote figures: shown only while "有表决事项" (name=voted) is ticked
//   [data-life-quorum-warning]    shown while voters present are not more than half of voting members
//   [data-life-group-field]       the party group: shown only for a 党小组会 (kind=group_meeting)
//   [data-life-member]            one row of the roll call (data-group, data-full, data-committee); a
//                                 group meeting shows only its group's members, a 支委会 the committee
//   [data-life-counts]            live 应到/实到 ([data-life-expected], [data-life-present])
//   [data-life-all-present]       a button that marks everyone listed as present
(function () {
  "use strict";

  function setup(form) {
    var voted = form.elements.namedItem("voted");
    var votes = form.querySelector("[data-life-votes]");
    var warning = form.querySelector("[data-life-quorum-warning]");
    var kind = form.elements.namedItem("kind");
    var group = form.elements.namedItem("group");
    var groupField = form.querySelector("[data-life-group-field]");
    var members = Array.prototype.slice.call(form.querySelectorAll("[data-life-member]"));
    var counts = form.querySelector("[data-life-counts]");
    var allPresent = form.querySelector("[data-life-all-present]");

    function number(name) {
      var input = form.elements.namedItem(name);
      if (!input || input.value === "") return null;
      var n = parseInt(input.value, 10);
      return isNaN(n) ? null : n;
    }

    function isGroupMeeting() {
      return kind && kind.value === "group_meeting";
    }

    function listed(row) {
      // A 支委会 calls the committee in office on the meeting day (the server marks them).
      if (kind && kind.value === "committee_meeting") return row.getAttribute("data-committee") === "1";
      if (!isGroupMeeting()) return true;
      var g = group ? group.value : "";
      return g !== "" && row.getAttribute("data-group") === g;
    }

    function presence(row) {
      var checked = row.querySelector("input[type=radio]:checked");
      return checked ? checked.value : "";
    }

    function refreshQuorum() {
      if (!warning) return;
      var members = number("voting_members");
      var present = number("voters_present");
      warning.hidden = !(voted && voted.checked && members && present !== null && present * 2 <= members);
    }

    function refreshVotes() {
      if (!votes || !voted) return;
      votes.hidden = !voted.checked;
      if (voted.checked) prefillVotes();
      refreshQuorum();
    }

    // Only full members vote: offer the counts from the roll call when the fields are still empty.
    function prefillVotes() {
      var full = members.filter(function (row) {
        return listed(row) && row.getAttribute("data-full") === "1";
      });
      var inputMembers = form.elements.namedItem("voting_members");
      var inputPresent = form.elements.namedItem("voters_present");
      if (inputMembers && inputMembers.value === "") inputMembers.value = String(full.length);
      if (inputPresent && inputPresent.value === "") {
        inputPresent.value = String(
          full.filter(function (row) {
            return presence(row) === "present";
          }).length
        );
      }
    }

    function refreshRollCall() {
      var expected = 0;
      var present = 0;
      members.forEach(function (row) {
        var show = listed(row);
        // A class, not the hidden attribute: the row's d-flex would win over [hidden].
        row.classList.toggle("d-none", !show);
        if (!show) return;
        expected += 1;
        if (presence(row) === "present") present += 1;
      });
      if (counts) {
        counts.hidden = false;
        counts.querySelector("[data-life-expected]").textContent = String(expected);
        counts.querySelector("[data-life-present]").textContent = String(present);
      }
    }

    function refreshKind() {
      if (groupField) groupField.hidden = !isGroupMeeting();
      refreshRollCall();
    }

    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target === voted) refreshVotes();
      else if (target === kind || target === group) refreshKind();
      else if (target.type === "radio") refreshRollCall();
    });
    form.addEventListener("input", function (event) {
      var name = event.target && event.target.name;
      if (name === "voting_members" || name === "voters_present") refreshQuorum();
    });
    if (allPresent) {
      allPresent.hidden = false;
      allPresent.addEventListener("click", function () {
        members.forEach(function (row) {
          if (!listed(row)) return;
          var radio = row.querySelector("input[type=radio][value=present]");
          if (radio) radio.checked = true;
        });
        refreshRollCall();
      });
    }

    if (votes && voted) votes.hidden = !voted.checked;
    refreshQuorum();
    refreshKind();
  }

  function init() {
    document.querySelectorAll("form[data-life-form]").forEach(setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
