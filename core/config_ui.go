package core

import (
	"fmt"
	"unicode/utf8"
)

// UI themes the pages Exeunt shows (sign-in choice, sign-out prompt, signed-out page,
// errors). Treat it as read-only.
type UI struct {
	_ noCompare
	// Title names the service on every page ("Exeunt" by default): in the page title
	// and the page header, next to the logo.
	Title string
	// LogoURL is an image shown at the top of every page; "" for none.
	LogoURL string
	// StylesheetURL is a stylesheet loaded after Exeunt's own styles; "" for none.
	StylesheetURL string

	// The origins of LogoURL and StylesheetURL ("" when not set): the pages' Content
	// Security Policy allows loads from exactly these.
	logoOrigin, stylesheetOrigin string
}

// DefaultUITitle is the title of the pages when ui.title is not configured.
const DefaultUITitle = "Exeunt"

// maxUITitle bounds ui.title, in characters: it is a name shown in a header, not text.
const maxUITitle = 100

func defaultUI() UI { return UI{Title: DefaultUITitle} }

func (cfg *Config) readUI(obj *jsonObject) error {
	o, ok, err := obj.optionalObject("ui")
	if err != nil || !ok {
		return err
	}
	u := &cfg.UI
	if s, ok, err := o.optionalString("title"); err != nil {
		return err
	} else if ok {
		if problem := checkText(s); problem != "" {
			if s == "" {
				problem += `; leave the field out for the default ("` + DefaultUITitle + `")`
			}
			return o.fieldError("title", problem)
		}
		if n := utf8.RuneCountInString(s); n > maxUITitle {
			return o.fieldError("title", fmt.Sprintf("is %d characters long; keep it to at most %d (it is a name shown in a page header)", n, maxUITitle))
		}
		u.Title = s
	}
	if u.LogoURL, u.logoOrigin, err = readAssetURL(o, "logo_url", "an image such as https://cdn.example.test/logo.svg"); err != nil {
		return err
	}
	if u.StylesheetURL, u.stylesheetOrigin, err = readAssetURL(o, "stylesheet_url", "a stylesheet such as https://cdn.example.test/exeunt.css"); err != nil {
		return err
	}
	return o.rejectUnknown()
}

// readAssetURL reads an optional URL of something pages load (a query is fine) and
// returns it with its origin; "" means none.
func readAssetURL(o *jsonObject, name, what string) (string, string, error) {
	s, ok, err := o.optionalString(name)
	if err != nil || !ok || s == "" {
		return "", "", err
	}
	u, problem := checkURL(s, urlRules{query: true})
	if problem != "" {
		return "", "", o.fieldError(name, problem+"; it is the URL of "+what)
	}
	return s, origin(u), nil
}
