package core

import "github.com/exeunt/exeunt/core/jsonx"

// The pages' markup, as Go code on an htmlWriter (html.go says why and how values are
// escaped). Each page is a layout around its content; a content function writes the
// page's <main>, starting with a newline. Markup is raw; every value goes through
// w.text or, for a whole URL attribute, w.url; every text shown to people is a message
// (i18n.go), looked up with w.t or w.n.

// page is what the layout renders around a page's content.
type page struct {
	_        noCompare
	Lang     string
	Heading  string // the h1 and the start of the title, already in Lang
	UI       *UI
	Script   bool // the page runs the inline script (frontchannel.js)
	Embedded bool // inside another site's iframe: no header, no theme
}

// pageContent writes a page's content inside <main>.
type pageContent func(w *htmlWriter, p *page)

// writeLayout writes the document around content.
func writeLayout(w *htmlWriter, p *page, content pageContent) {
	w.raw("<!doctype html>\n<html lang=\"")
	w.text(p.Lang)
	w.raw("\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
		"<meta name=\"referrer\" content=\"no-referrer\">\n" +
		"<meta name=\"robots\" content=\"noindex\">\n<title>")
	w.text(p.Heading)
	w.raw(" – ")
	w.text(p.UI.Title)
	w.raw("</title>\n<style>")
	w.raw(pageStyle)
	w.raw("</style>")
	if p.UI.StylesheetURL != "" && !p.Embedded {
		w.raw("\n<link rel=\"stylesheet\" href=\"")
		w.url(p.UI.StylesheetURL)
		w.raw("\">")
	}
	if p.Script {
		w.raw("\n<script>")
		w.raw(pageScript)
		w.raw("</script>")
	}
	w.raw("\n</head>")
	if p.Embedded {
		w.raw("\n<body class=\"embedded\">")
	} else {
		w.raw("\n<body>\n<header>")
		if p.UI.LogoURL != "" {
			w.raw("<img src=\"")
			w.url(p.UI.LogoURL)
			w.raw("\" alt=\"\">")
		}
		w.raw("<span class=\"site\">")
		w.text(p.UI.Title)
		w.raw("</span></header>")
	}
	w.raw("\n<main>")
	content(w, p)
	w.raw("\n</main>\n</body>\n</html>\n")
}

// writeErrorContent is the error page: what went wrong, and a way to try again.
func writeErrorContent(w *htmlWriter, p *page, d errorPageData) {
	w.raw("\n<h1>")
	w.text(p.Heading)
	w.raw("</h1>\n<p>")
	w.text(d.Message)
	w.raw("</p>")
	if d.Reference != "" {
		w.raw("\n<p class=\"detail\">")
		w.text(w.t("error.ref"))
		w.raw(" <code>")
		w.text(d.Reference)
		w.raw("</code></p>")
	}
	if d.RetryURL != "" {
		w.raw("\n<p><a class=\"button\" href=\"")
		w.url(d.RetryURL)
		w.raw("\">")
		w.text(w.t("error.retry"))
		w.raw("</a></p>")
	}
}

// writeChoiceContent lists the providers to sign in with.
func writeChoiceContent(w *htmlWriter, p *page, d choicePageData) {
	w.raw("\n<h1>")
	w.text(p.Heading)
	w.raw("</h1>\n<p>")
	w.text(w.t("choice.intro"))
	w.raw("</p>\n<nav aria-label=\"")
	w.text(w.t("choice.nav"))
	w.raw("\">\n<ul class=\"choices\">")
	for _, pr := range d.Providers {
		w.raw("\n<li><a class=\"button\" href=\"")
		w.url(pr.URL)
		w.raw("\">")
		w.text(pr.Name)
		w.raw("</a></li>")
	}
	w.raw("\n</ul>\n</nav>")
}

// writePromptContent asks whether to sign out, with one button.
func writePromptContent(w *htmlWriter, p *page, d logoutPromptData) {
	w.raw("\n<h1>")
	w.text(p.Heading)
	w.raw("</h1>")
	if d.ClientName != "" {
		w.raw("\n<p>")
		w.text(w.t("prompt.client", d.ClientName))
		w.raw("</p>")
	}
	w.raw("\n<p>")
	w.text(w.t("prompt.scope"))
	w.raw("</p>\n<form method=\"post\" action=\"")
	w.url(d.Action)
	w.raw("\">\n<input type=\"hidden\" name=\"logout_id\" value=\"")
	w.text(d.LogoutID)
	w.raw("\">\n<input type=\"hidden\" name=\"csrf\" value=\"")
	w.text(d.CSRF)
	w.raw("\">\n<button class=\"button primary\" type=\"submit\" name=\"confirm\" value=\"yes\">")
	w.text(w.t("prompt.yes"))
	w.raw("</button>\n</form>\n<p class=\"detail\">")
	w.text(w.t("prompt.no"))
	w.raw("</p>")
}

// writeLoggedOutContent says the user is signed out, with a live status while the
// front-channel iframes load, the way back, and the iframes (hidden).
func writeLoggedOutContent(w *htmlWriter, p *page, d loggedOutData) {
	if !p.Embedded {
		w.raw("\n<h1>")
		w.text(p.Heading)
		w.raw("</h1>")
		if d.ProviderStillSignedIn != "" {
			w.raw("\n<p class=\"status\">")
			if d.ProviderCannotSignOut {
				w.text(w.t("out.provider_noend", d.ProviderStillSignedIn))
			} else {
				w.text(w.t("out.provider_kept", d.ProviderStillSignedIn))
			}
			w.raw("</p>")
		}
	}
	if len(d.Frames) > 0 {
		// The script fills the data-* texts in ("%d" is left for it) once the frames
		// have loaded or the wait is over. A frame's load event fires for any answer,
		// an app's 500 or the browser's network error page as well as a sign-out, and a
		// page cannot read a cross-origin frame's status (nor does Front-Channel Logout
		// 1.0 define an answer to read): "done" says each app was asked to sign out,
		// never that they signed out (RATIONALE.md).
		w.raw("\n<p id=\"exeunt-status\" class=\"status\" role=\"status\" aria-live=\"polite\" data-done=\"")
		w.text(w.t("out.notified"))
		w.raw("\" data-late-one=\"")
		w.text(w.t("out.late.one"))
		w.raw("\" data-late-other=\"")
		w.text(w.t("out.late.other"))
		w.raw("\">")
		w.text(w.n("out.progress", len(d.Frames)))
		w.raw("</p>\n<noscript><p class=\"detail\">")
		w.text(w.t("out.noscript"))
		w.raw("</p></noscript>")
	} else if p.Embedded {
		// Only what happened here: the session ended (apps with a back-channel are
		// told by the queue, later), or none was found to end.
		w.raw("\n<p class=\"status\">")
		if d.Ended {
			w.text(w.t("out.ended"))
		} else {
			w.text(w.t("out.none_ended"))
		}
		w.raw("</p>")
	}
	if !p.Embedded {
		if d.ReturnURL != "" {
			w.raw("\n<p><a class=\"button primary\" href=\"")
			w.url(d.ReturnURL)
			w.raw("\"")
			if d.AutoRedirect {
				w.raw(" data-auto-redirect")
			}
			w.raw(">")
			if d.ClientName != "" {
				w.text(w.t("out.return", d.ClientName))
			} else {
				w.text(w.t("out.return_app"))
			}
			w.raw("</a></p>")
			if d.AutoRedirect {
				w.raw("\n<noscript><p class=\"detail\">")
				w.text(w.t("out.noscript_return"))
				w.raw("</p></noscript>")
			}
		} else {
			w.raw("\n<p>")
			w.text(w.t("out.close"))
			w.raw("</p>")
		}
	}
	if len(d.Frames) > 0 {
		w.raw("\n<div class=\"frames\" hidden>")
		for _, f := range d.Frames {
			w.raw("\n<iframe src=\"")
			w.url(f.URL)
			w.raw("\" title=\"")
			if f.ClientName != "" {
				w.text(w.t("out.frame", f.ClientName))
			} else {
				w.text(w.t("out.frame_app"))
			}
			w.raw("\" data-frontchannel></iframe>")
		}
		w.raw("\n</div>")
	}
}

// checkSessionHTML is the check_session_iframe's page: its configuration as JSON in a
// data script, then its script. jsonx (as json.Marshal) escapes "<", ">", "&", U+2028 and U+2029,
// so no value can end the script element; a JSON object needs none of the spaces
// html/template puts around a JavaScript value that starts or ends like an identifier.
func checkSessionHTML(c checkSessionConfig) ([]byte, error) {
	j, err := jsonx.Marshal(&c)
	if err != nil {
		return nil, err
	}
	const (
		head = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
			"<meta name=\"referrer\" content=\"no-referrer\">\n" +
			"<meta name=\"robots\" content=\"noindex\">\n" +
			"<title>Exeunt check session</title>\n" +
			"<script id=\"exeunt-check-session\" type=\"application/json\">"
		middle = "</script>\n<script>"
		tail   = "</script>\n</head>\n<body></body>\n</html>\n"
	)
	b := make([]byte, 0, len(head)+len(j)+len(middle)+len(checkSessionScript)+len(tail))
	b = append(b, head...)
	b = append(b, j...)
	b = append(b, middle...)
	b = append(b, checkSessionScript...)
	return append(b, tail...), nil
}
