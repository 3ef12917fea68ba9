/** The dashboard's single HTML page (served at `/`); the views are drawn by assets/app.js from the URL hash. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ktrdr dashboard</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/app.css">
</head>
<body>
<header class="top">
  <a class="brand" href="#/">ktrdr</a>
  <nav><a href="#/">Overview</a><a href="/docs" target="_blank" rel="noopener">API docs</a></nav>
  <span id="status-line" class="muted"></span>
</header>
<main id="view"><p class="muted">Loading…</p></main>
<script src="/dashboard/app.js" defer></script>
</body>
</html>
`;
