// Small behaviours of the staff pages. No inline scripts: the CSP forbids them.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) {
    event.target.form.submit();
  }
});
