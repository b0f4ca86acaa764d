// The publisher's own script: a visible button for readers who can't use the shortcut,
// and a page shortcut that claims Ctrl+Enter inside #claimed (defaultPrevented is respected).
document.getElementById('report').addEventListener('click', () => window.Errata.open());
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && e.ctrlKey && document.getSelection().anchorNode &&
      document.getSelection().anchorNode.parentElement.closest('#claimed')) e.preventDefault();
});
