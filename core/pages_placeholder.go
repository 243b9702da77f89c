package core

// TEMPORARY placeholders so that package core compiles while the sign-out pages are
// being written. WHOEVER DEFINES THESE FOR REAL (core/pages*.go): delete this file.


type logoutPromptData struct {
	ClientName, Action, LogoutID, CSRF string
}

func (e *Engine) logoutPromptPage(lang string, d logoutPromptData) *Response {
	return &Response{Status: 200, Body: []byte(d.LogoutID + " " + d.CSRF)}
}

type frontchannelFrame struct{ ClientName, URL string }

type loggedOutData struct {
	ClientName, ReturnURL  string
	AutoRedirect, Embedded bool
	Frames                 []frontchannelFrame
}

func (e *Engine) loggedOutPage(lang string, d loggedOutData) *Response {
	return &Response{Status: 200}
}

func (e *Engine) errorPageIn(lang string, status int, reason string) *Response {
	return &Response{Status: status, Body: []byte(reason)}
}
