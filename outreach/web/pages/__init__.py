"""The pages of the office's web page, one module each; ``outreach.web.create_app`` registers every one."""
